/**
 * Workload start benchmark: `bin/stratus up` as a child process (API server, controllers,
 * scheduler, S3, one agent with the process runtime). First its idle figures with no pods: RSS
 * and CPU over IDLE_SECONDS. Then the example web Deployment (3 replicas of a Node HTTP server)
 * created through the API and timed until all 3 pods are Ready (its readiness probe says the
 * server answers). The peer is the physical floor measured in the same run: the same 3 programs
 * started directly with spawn and timed until each answers. Bounded in count and time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KubeClient } from '../src/client/index.js';
import { fileURLToPath } from 'node:url';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { KubeObject } from '../src/common/kube-object.js';
import { until } from './api-tools.js';
import type { BenchResult } from './result.js';

const ROUNDS = 3;
const IDLE_SECONDS = 20;

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

/** `bin/stratus up` on free ports (and `flags`), as users run it; resolves once its kubeconfig works. */
export async function startUp(
  dataDir: string,
  flags: string[] = [],
): Promise<{ child: ChildProcess; client: KubeClient }> {
  const bin = fileURLToPath(new URL('../../bin/stratus', import.meta.url));
  const child = spawn(bin, ['up', '--data-dir', dataDir, '--port', '0', '--s3-port', '0', ...flags], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const client = await until(async () => {
    const c = KubeClient.fromKubeconfig(join(dataDir, 'kubeconfig'));
    const ok = await c
      .list('nodes')
      .then((l) => l.items.length > 0)
      .catch(() => false);
    if (ok) return c;
    await c.close();
    return undefined;
  }, 'stratus up ready');
  return { child, client };
}

/** The child's RSS (MiB) and CPU (% of one core) over IDLE_SECONDS of doing nothing. */
async function idle(pid: number): Promise<{ rss: number; cpu: number }> {
  const cpuTicks = async (): Promise<number> => {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (1/100 s)
  };
  await new Promise((r) => setTimeout(r, 5000)); // let start-up work finish
  const t0 = performance.now();
  const c0 = await cpuTicks();
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const cpu = (await cpuTicks()) - c0;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  return { rss, cpu: ((cpu * 10) / (performance.now() - t0)) * 100 };
}

/** Ctrl-C, as a user stops `stratus up`; SIGKILL if it has not exited within 20 s. */
export async function stopUp(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** Runs the workload benchmark; see the module comment. */
export async function benchWorkloads(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-workloads-'));
  const { child, client } = await startUp(join(dir, 'data'));
  try {
    const quiet = await idle(child.pid ?? 0);
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
      { name: 'workloads stratus up idle RSS (no pods)', value: quiet.rss, unit: 'MiB', goal: '<= 80 MiB' },
      {
        name: 'workloads stratus up idle CPU (no pods)',
        value: quiet.cpu,
        unit: '% of a core',
        goal: '<= 1 %',
      },
    ];
  } finally {
    await client.close();
    await stopUp(child);
    await rm(dir, { recursive: true, force: true });
  }
}
