/**
 * Workload start benchmark: `stratus up` in-process (API server, controllers, scheduler, one
 * agent with the process runtime), then the example web Deployment (3 replicas of a Node HTTP
 * server) created through the API and timed until all 3 pods are Ready and each answers on its
 * port. The peer is the physical floor measured in the same run: the same 3 programs started
 * directly with spawn and timed until each answers. Also the idle RSS of `stratus up` with no
 * pods. Bounded in count and time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KubeClient } from '../src/client/index.js';
import { startCloud, UP_COMPONENTS } from '../src/cli/up.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { KubeObject } from '../src/common/kube-object.js';
import type { BenchResult } from './result.js';

const ROUNDS = 3;
const LIMIT_MS = 60_000;

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + LIMIT_MS;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${what}: not within ${LIMIT_MS} ms`);
}

async function answers(port: number): Promise<boolean | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  await res.arrayBuffer();
  return res.ok || undefined;
}

/** The ConfigMap and Deployment of examples/web.yaml. */
async function webExample(): Promise<{ config: KubeObject; deploy: KubeObject }> {
  const docs = (await readFile(new URL('../../examples/web.yaml', import.meta.url), 'utf8'))
    .split(/^---$/m)
    .map((d) => parse(d) as KubeObject);
  return {
    config: docs.find((d) => d.kind === 'ConfigMap')!,
    deploy: docs.find((d) => d.kind === 'Deployment')!,
  };
}

/** Time for the bare programs: spawn 3 and wait until each answers. */
async function bareStart(script: string): Promise<number> {
  const t0 = performance.now();
  const children: ChildProcess[] = [];
  try {
    const ports = [0, 1, 2].map((i) => 41_000 + Math.floor(Math.random() * 10_000) + i);
    for (const port of ports) {
      children.push(spawn(process.execPath, ['-e', script], { env: { ...process.env, PORT: String(port) } }));
    }
    await Promise.all(ports.map((p) => until(() => answers(p), `bare program on ${p}`)));
    return performance.now() - t0;
  } finally {
    for (const c of children) c.kill('SIGKILL');
  }
}

/** Runs the workload benchmark; see the module comment. */
export async function benchWorkloads(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-workloads-'));
  const cloud = await startCloud(
    { dataDir: join(dir, 'data'), apiPort: 0, controllers: true },
    UP_COMPONENTS,
  );
  const client = KubeClient.fromKubeconfig(cloud.server.kubeconfigPath);
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const idleRss = Number(/VmRSS:\s+(\d+)/.exec(await readFile('/proc/self/status', 'utf8'))?.[1]) / 1024;
    const example = await webExample();
    await client.create('configmaps', example.config, { namespace: 'default' });
    const stratus: number[] = [];
    const bare: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const deploy = { ...example.deploy, metadata: { ...example.deploy.metadata, name: `web${round}` } };
      const script = (deploy as unknown as Deployment).spec?.template.spec?.containers[0]?.command?.[2] ?? '';
      bare.push(await bareStart(script));
      const t0 = performance.now();
      await client.create('deployments', deploy, { namespace: 'default' });
      await until(async () => {
        const d = (await client.get('deployments', `web${round}`, { namespace: 'default' })) as Deployment;
        return d.status?.readyReplicas === 3 ? true : undefined;
      }, 'deployment ready');
      stratus.push(performance.now() - t0);
      await client.delete('deployments', `web${round}`, { namespace: 'default' });
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const s = median(stratus);
    const b = median(bare);
    return [
      {
        name: 'workloads 3-replica Deployment: create to all Ready (process runtime)',
        value: s,
        unit: 'ms',
        peer: { name: '3 bare spawns answering', value: b },
        ratio: s / b,
        goal: '<= 1500 ms',
      },
      {
        name: 'workloads stratus up idle RSS (no pods, in bench process)',
        value: idleRss,
        unit: 'MiB',
        goal: '<= 80 MiB',
      },
    ];
  } finally {
    await client.close();
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
  }
}
