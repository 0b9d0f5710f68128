/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- tests read kubectl JSON by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCloud, UP_COMPONENTS, type RunningCloud } from './up.js';

const KUBECTL = '/usr/bin/kubectl';
const missing = !existsSync(KUBECTL);
if (missing && process.env.CI === 'true') throw new Error(`kubectl is required under CI (${KUBECTL})`);
const WEB_YAML = fileURLToPath(new URL('../../../examples/web.yaml', import.meta.url));

let dir: string;
let cloud: RunningCloud;

before(async () => {
  if (missing) return;
  dir = await mkdtemp(join(tmpdir(), 'stratus-up-workloads-'));
  cloud = await startCloud({ dataDir: join(dir, 'data'), apiPort: 0, controllers: true }, UP_COMPONENTS);
});
after(async () => {
  if (missing) return;
  await cloud.close();
  await rm(dir, { recursive: true, force: true });
});

function kubectl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      KUBECTL,
      args,
      { env: { ...process.env, HOME: dir, KUBECONFIG: cloud.server.kubeconfigPath }, timeout: 120_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    );
  });
}

/** The pods of the example, with the port each one reports in its log. */
async function webPods(): Promise<Array<{ name: string; ready: boolean; port: number }>> {
  const pods = JSON.parse(await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json')) as { items: any[] };
  const live = pods.items.filter((p) => !p.metadata.deletionTimestamp);
  return Promise.all(
    live.map(async (p) => ({
      name: p.metadata.name as string,
      ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
      port: Number(/listening on (\d+)/.exec(await kubectl('logs', p.metadata.name as string))?.[1]),
    })),
  );
}

test(
  'make up runs the example Deployment as real processes that answer, roll, undo and heal',
  { skip: missing ? `kubectl not installed at ${KUBECTL}` : false },
  async () => {
    await kubectl('apply', '-f', WEB_YAML);
    await kubectl('rollout', 'status', 'deploy/web', '--timeout=90s');
    const pods = await webPods();
    assert.equal(pods.length, 3);
    for (const pod of pods) {
      assert.ok(pod.ready, `${pod.name} is Ready`);
      const body = await (await fetch(`http://127.0.0.1:${pod.port}/`)).text();
      assert.equal(body, `Hello from Stratus (${pod.name})\n`);
    }

    await kubectl('set', 'image', 'deploy/web', 'web=node:22-alpine');
    await kubectl('rollout', 'status', 'deploy/web', '--timeout=90s');
    assert.match(await kubectl('rollout', 'history', 'deploy/web'), /^2\s/m);
    await kubectl('rollout', 'undo', 'deploy/web');
    await kubectl('rollout', 'status', 'deploy/web', '--timeout=90s');
    const image = await kubectl(
      'get',
      'deploy',
      'web',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
    assert.equal(image, 'node:20-alpine');

    const victim = (await webPods())[0]!.name;
    await kubectl('delete', 'pod', victim, '--wait=true');
    await kubectl('rollout', 'status', 'deploy/web', '--timeout=90s');
    for (let i = 0; i < 100; i++) {
      const now = await webPods();
      if (now.length === 3 && now.every((p) => p.ready && p.name !== victim)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail(`pod ${victim} was not replaced by a Ready pod`);
  },
);
