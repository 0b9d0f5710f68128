import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import { MAIN_JS } from '../cli/testing.js';
import type { KubeObject } from '../common/kube-object.js';
import { prepareBusybox, RegistryProcess, registryAvailable } from '../images/testing.js';
import { runcMissing } from '../runtime/testing.js';
import { startAgentCluster, waitForLog, waitForPod } from './agent-testing.js';

// Issue 11: an image built and pushed by `stratus image push` from one data directory is pulled
// by a runc pod on an agent with another, and runs, its digest verified; a missing image, a blob
// and a manifest whose bytes are not their digest each leave the pod waiting with the reason
// and a message that says why.
const missing = runcMissing();
if (missing !== undefined && process.env['CI'] === 'true')
  throw new Error(`the runc image pull test ${missing}`);

const cs = (p: { status?: unknown }): ContainerStatus | undefined =>
  (p.status as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses?.[0];

/** `stratus ARGS` in `cwd` (its data dir `cwd/.stratus`); fails the test on a non-zero exit. */
function stratus(cwd: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [MAIN_JS, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, HOME: cwd },
  });
  assert.equal(r.status, 0, `stratus ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Pushes `target` and returns the manifest digest `stratus image push` printed. */
function push(cwd: string, target: string): string {
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(stratus(cwd, 'image', 'push', target))?.[1];
  assert.ok(digest !== undefined, `push of ${target} printed a digest`);
  return digest;
}

function runcPod(name: string, image: string, command: string[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: 'n1',
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image, command }],
    },
  };
}

test('a pushed image runs on another agent; missing and corrupted images wait with the reason', async (t) => {
  if (missing !== undefined) return t.skip(missing);
  if (!registryAvailable()) return t.skip('docker-registry is not installed');
  const c = await startAgentCluster();
  t.after(() => c.close());
  const work = join(c.dir, 'pusher');
  if (!prepareBusybox(join(work, 'ctx'))) return t.skip('busybox-static is not installed');
  const registry = await RegistryProcess.start();
  t.after(() => registry.close());

  // The pusher's side: its own data dir (work/.stratus), a base image and two built on it, each
  // with a layer of its own (to corrupt one blob, and one manifest, in the registry).
  const repo = `${registry.host}/team/busybox`;
  stratus(work, 'image', 'build', 'ctx', '-q', '-t', `${repo}:1`);
  for (const n of ['2', '3']) {
    const ctx = join(work, `ctx${n}`);
    await mkdir(ctx);
    await writeFile(join(ctx, 'extra'), `layer ${n}\n`);
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${repo}:1\nCOPY extra /extra\n`);
    stratus(work, 'image', 'build', `ctx${n}`, '-q', '-t', `${repo}:${n}`);
  }
  const digest = push(work, `${repo}:1`);
  const corruptBlob = push(work, `${repo}:2`);
  const corruptManifest = push(work, `${repo}:3`);
  // :2's own layer gets other bytes; :3's manifest gets a space more (still a valid manifest).
  const manifest2 = JSON.parse(await readFile(registry.blobPath(corruptBlob), 'utf8')) as {
    layers: { digest: string }[];
  };
  const extraLayer = manifest2.layers.at(-1)?.digest ?? '';
  await writeFile(registry.blobPath(extraLayer), 'not the layer that was pushed');
  const manifestPath = registry.blobPath(corruptManifest);
  await writeFile(manifestPath, `${await readFile(manifestPath, 'utf8')} `);

  // The node: another data dir, its default runtime runc, pulling what its pods name.
  await c.agent('n1', { defaultRuntime: 'runc' });
  await c.client.create(
    'pods',
    runcPod('ok', `${repo}:1`, ['sh', '-c', 'echo pulled and running; exec sleep 3600']),
  );
  await c.client.create('pods', runcPod('missing', `${repo}:nope`, ['true']));
  await c.client.create('pods', runcPod('badblob', `${repo}:2`, ['true']));
  await c.client.create('pods', runcPod('badmanifest', `${repo}:3`, ['true']));

  const ok = await waitForPod(c.client, 'ok', (p) => cs(p)?.state?.running !== undefined, 600);
  assert.match(cs(ok)?.containerID ?? '', /^runc:\/\//);
  assert.equal(
    cs(ok)?.imageID,
    `${repo}@${digest}`,
    'the digest the pusher printed is the one the node runs',
  );
  assert.match(await waitForLog(c, 'ok', /pulled and running/), /^pulled and running$/m);

  const pullFailed = (p: { status?: unknown }): boolean =>
    /^(ErrImagePull|ImagePullBackOff)$/.test(cs(p)?.state?.waiting?.reason ?? '');
  const notFound = await waitForPod(c.client, 'missing', pullFailed, 600);
  assert.match(cs(notFound)?.state?.waiting?.message ?? '', /image ".*team\/busybox:nope" not found/);
  const badBlob = await waitForPod(c.client, 'badblob', pullFailed, 600);
  assert.match(
    cs(badBlob)?.state?.waiting?.message ?? '',
    new RegExp(`digest mismatch for .*expected ${extraLayer}`),
  );
  const badManifest = await waitForPod(c.client, 'badmanifest', pullFailed, 600);
  assert.match(
    cs(badManifest)?.state?.waiting?.message ?? '',
    new RegExp(`digest mismatch for manifest of team/busybox: expected ${corruptManifest}`),
  );
  // Back-off follows the first failure, and says why too.
  const backoff = await waitForPod(
    c.client,
    'badblob',
    (p) => cs(p)?.state?.waiting?.reason === 'ImagePullBackOff',
    600,
  );
  assert.match(cs(backoff)?.state?.waiting?.message ?? '', /Back-off pulling image .*digest mismatch/);
});
