import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ImageStore, importArchive, pushImage } from '../images/index.js';
import { RegistryProcess, registryAvailable, writeDockerSave } from '../images/testing.js';
import { ProcessRuntime, type ContainerSpec, type Runtime } from '../runtime/index.js';
import { nodePod, startAgentCluster, waitForPod } from './agent-testing.js';

/**
 * The process runtime, really running the pods, saying it uses images: what the runc runtime
 * will say. Not a mock: only the flag is added (and the specs it starts are kept to look at).
 */
function imageUsingProcessRuntime(dataDir: string, specs: ContainerSpec[]): Runtime {
  const inner = new ProcessRuntime({ dataDir });
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'usesImages') return true;
      if (prop === 'start') {
        return (spec: ContainerSpec) => {
          specs.push(spec);
          return target.start(spec);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

type Status = {
  containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } }; imageID?: string }[];
};
const waitingOf = (p: { status?: unknown }): { reason?: string; message?: string } | undefined =>
  (p.status as Status | undefined)?.containerStatuses?.[0]?.state?.waiting;

test('a runtime that uses images gets them pulled: pull secrets, imageID, ErrImagePull then ImagePullBackOff', async (t) => {
  if (!registryAvailable()) return t.skip('docker-registry is not installed');
  const work = await mkdtemp(join(tmpdir(), 'stratus-agent-images-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const registry = await RegistryProcess.start({ users: { alice: 'pw' } });
  t.after(() => registry.close());
  const c = await startAgentCluster();
  t.after(() => c.close());

  // An image pushed from another data directory, behind basic auth.
  const store = await ImageStore.open(join(work, 'images'));
  await importArchive(
    store,
    await writeDockerSave(work, [], { tags: [`${registry.host}/alice/app:1`], config: { Cmd: ['x'] } }),
  );
  const auth = JSON.stringify({ auths: { [registry.host]: { username: 'alice', password: 'pw' } } });
  const { digest } = await pushImage(store, `${registry.host}/alice/app:1`, {
    credentials: () => ({ username: 'alice', password: 'pw' }),
  });
  await c.client.create('secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'regcred', namespace: 'default' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(auth).toString('base64') },
  });

  const specs: ContainerSpec[] = [];
  const agent = await c.agent('n1', {
    runtime: imageUsingProcessRuntime(join(c.dir, 'rt'), specs),
    imageGc: { highPercent: 0, lowPercent: 0 },
  });
  const script = 'setInterval(() => {}, 1000)';
  const withSecret = { imagePullSecrets: [{ name: 'regcred' }] };
  await c.client.create(
    'pods',
    nodePod('ok', 'n1', script, { image: `${registry.host}/alice/app:1` }, withSecret),
  );
  await c.client.create(
    'pods',
    nodePod('missing', 'n1', script, { image: `${registry.host}/alice/nope:1` }, withSecret),
  );
  // Present on the node, but Always pulls, and without the secret the registry says no.
  await c.client.create(
    'pods',
    nodePod('nocreds', 'n1', script, { image: `${registry.host}/alice/app:1`, imagePullPolicy: 'Always' }),
  );
  await c.client.create(
    'pods',
    nodePod('never', 'n1', script, { image: 'busybox:9', imagePullPolicy: 'Never' }),
  );
  await c.client.create('pods', nodePod('away', 'n1', script, { image: '127.0.0.1:4/app:1' }));

  const ok = await waitForPod(
    c.client,
    'ok',
    (p) => (p.status as { phase?: string } | undefined)?.phase === 'Running',
  );
  assert.equal((ok.status as Status).containerStatuses?.[0]?.imageID, `${registry.host}/alice/app@${digest}`);
  const started = specs.find((s) => s.podName === 'ok');
  assert.equal(started?.unpackedImage?.digest, digest);
  assert.deepEqual(started?.unpackedImage?.config.Cmd, ['x']);

  // ErrImagePull first (kept in an Event: the next sync already shows the back-off), then ImagePullBackOff.
  const missing = await waitForPod(c.client, 'missing', (p) => waitingOf(p)?.reason === 'ImagePullBackOff');
  assert.match(
    waitingOf(missing)?.message ?? '',
    /Back-off pulling image ".*\/alice\/nope:1": image ".*" not found/,
  );
  const events = (await c.client.list('events')).items as {
    reason?: string;
    message?: string;
    involvedObject?: { name?: string };
  }[];
  assert.ok(
    events.some(
      (e) =>
        e.involvedObject?.name === 'missing' &&
        e.reason === 'Failed' &&
        /Failed to pull image .* not found/.test(e.message ?? ''),
    ),
    JSON.stringify(events.map((e) => e.message)),
  );
  const nocreds = await waitForPod(
    c.client,
    'nocreds',
    (p) => waitingOf(p)?.reason !== undefined && waitingOf(p)?.reason !== 'ContainerCreating',
  );
  assert.match(waitingOf(nocreds)?.message ?? '', /wants credentials/);
  const never = await waitForPod(c.client, 'never', (p) => waitingOf(p)?.reason === 'ErrImageNeverPull');
  assert.match(waitingOf(never)?.message ?? '', /not present with pull policy of Never/);
  const away = await waitForPod(c.client, 'away', (p) =>
    /ErrImagePull|ImagePullBackOff/.test(waitingOf(p)?.reason ?? ''),
  );
  assert.match(waitingOf(away)?.message ?? '', /cannot reach registry 127\.0\.0\.1:4/);

  // GC (thresholds at 0 %: everything unused goes) keeps the image while pods use it.
  assert.deepEqual((await agent.collectImages())?.removedImages, []);
  for (const name of ['ok', 'nocreds']) await c.client.delete('pods', name);
  let removed: string[] = [];
  // Once both pods are gone from the node, the image is unused.
  for (let i = 0; i < 300 && removed.length === 0; i++) {
    removed = (await agent.collectImages())?.removedImages ?? [];
    if (removed.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(removed, [digest]);
});
