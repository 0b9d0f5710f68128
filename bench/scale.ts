/**
 * Scale test (issue 16; issue 3's memory figure): `stratus server` in a child process (SQLite
 * store, controllers, scheduler), `stratus agent --simulate N` in another (kwok-style nodes that
 * report their pods Running). Pods are created as users create them: Deployments of 100 replicas,
 * a batch of 10 at a time while fewer than two batches are still starting, 10,000 pods per
 * namespace. Throughout, a probe (bench/scale-probe.ts) times gets, mutating calls and lists
 * (Kubernetes' SLOs: mutating and get p99 <= 1 s, list p99 <= 30 s), one watch times each pod from
 * created to Running, and /proc gives the server's RSS and CPU. Once the pods are placed, a churn
 * Deployment is scaled up and down (pod start p99 <= 5 s under churn); last, the first namespace
 * (10,000 pods with their ReplicaSets and Deployments) is deleted and timed until it is gone.
 *
 * Sizes: STRATUS_SCALE_PODS (default 10,000) and STRATUS_SCALE_NODES (default 500). Every phase is
 * bounded: placing the pods by STRATUS_SCALE_FILL_S (default 600), churn by STRATUS_SCALE_CHURN_S
 * (default 30), the deletion by STRATUS_SCALE_DELETE_S (default 300); a phase that runs out reports
 * how far it got instead of failing. The peer figure is k0s' published 2.3 GB for 10k pods on 100
 * nodes (not measured here: no k0s on this machine). Children are stopped at the end, whatever
 * happens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../src/client/index.js';
import { PodTracker, ProcessSampler, quantile, startProbe } from './scale-probe.js';
import type { KubeObject } from '../src/common/kube-object.js';
import type { BenchResult } from './result.js';
import { STRATUS_NODE_ENV, STRATUS_NODE_FLAGS } from './stratus-node.js';

const NODES = Number(process.env.STRATUS_SCALE_NODES ?? 500);
const PODS = Number(process.env.STRATUS_SCALE_PODS ?? 10_000);
const START_MS = 30_000;
const FILL_MS = Number(process.env.STRATUS_SCALE_FILL_S ?? 600) * 1000;
const CHURN_MS = Number(process.env.STRATUS_SCALE_CHURN_S ?? 30) * 1000;
const DELETE_MS = Number(process.env.STRATUS_SCALE_DELETE_S ?? 300) * 1000;
/** Replicas of each Deployment, Deployments created per batch, pods per namespace. */
const REPLICAS = 100;
const BATCH = 10;
const NAMESPACE_PODS = 10_000;
/** k0s' figure for 10k pods on 100 nodes (its published benchmark), in MiB. */
const K0S_MIB = 2.3 * 1024;

/** The CLI the way users run it: the bundle when built (`make build`), else the compiled modules. */
function cliArgs(): string[] {
  const bundle = fileURLToPath(new URL('../bundle/stratus.mjs', import.meta.url));
  const main = existsSync(bundle) ? bundle : fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  return [...STRATUS_NODE_FLAGS, main];
}

interface Child {
  process: ChildProcess;
  output: () => string;
}

/**
 * Set to a folder to have the server's heap snapshot written there once the pods are held.
 * STRATUS_SCALE_SERVER_FLAGS adds node flags to the server (`--cpu-prof --cpu-prof-dir=DIR`).
 */
const SNAPSHOT_DIR = process.env.STRATUS_SCALE_HEAP_SNAPSHOT_DIR;

function startChild(args: string[], nodeFlags: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeFlags, ...cliArgs(), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(SNAPSHOT_DIR ? { cwd: SNAPSHOT_DIR } : {}),
    env: { ...process.env, ...STRATUS_NODE_ENV },
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { process: child, output: () => out };
}

async function until<T>(what: string, limitMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops a child with SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
async function stop(child: Child | undefined): Promise<void> {
  const p = child?.process;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function memoryMiB(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Asks the server for a heap snapshot (SIGUSR2) and waits, at most 2 minutes, until it is written. */
async function heapSnapshot(child: Child, dir: string): Promise<void> {
  const { readdir, stat } = await import('node:fs/promises');
  const before = new Set(await readdir(dir));
  child.process.kill('SIGUSR2');
  let last = -1;
  await until('the heap snapshot', 120_000, async () => {
    const file = (await readdir(dir)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) return undefined;
    const size = (await stat(join(dir, file))).size;
    if (size > 0 && size === last) return file;
    last = size;
    await new Promise((r) => setTimeout(r, 1000));
    return undefined;
  });
}

function deployment(namespace: string, name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.example/app:1',
              command: ['/app', '--serve'],
              ports: [{ containerPort: 8080 }],
              resources: { requests: { cpu: '100m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `work` over `items` with at most `width` in flight. */
async function parallel<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** Runs the scale test at STRATUS_SCALE_PODS pods on STRATUS_SCALE_NODES simulated nodes. */
export async function benchScale(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-scale-'));
  let server: Child | undefined;
  let agent: Child | undefined;
  let client: KubeClient | undefined;
  let sampler: ProcessSampler | undefined;
  const abort = new AbortController();
  const load = async (): Promise<string> =>
    (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  const loadBefore = await load();
  try {
    server = startChild(
      // A /24 per node: 10.0.0.0/8 has room for 65,536 nodes (the default /16 for 256).
      ['server', '--data-dir', dir, '--port', '0', '--s3-port', '0', '--cluster-cidr', '10.0.0.0/8'],
      [
        ...(SNAPSHOT_DIR ? ['--heapsnapshot-signal=SIGUSR2'] : []),
        ...(process.env.STRATUS_SCALE_SERVER_FLAGS ?? '').split(' ').filter((f) => f !== ''),
      ],
    );
    const srv = server;
    const url = await until('stratus server to answer /readyz', START_MS, async () => {
      const m = /https?:\/\/127\.0\.0\.1:(\d+)/.exec(srv.output());
      if (!m) return undefined;
      const base = `http://127.0.0.1:${m[1]}`;
      return (await fetch(`${base}/readyz`)).ok ? base : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${srv.output()}`);
    });
    const kubeconfig = join(dir, 'kubeconfig');
    const token = /token: (\S+)/.exec(await readFile(kubeconfig, 'utf8'))?.[1] ?? '';
    const pid = server.process.pid ?? 0;
    const idle = await memoryMiB(pid);
    client = new KubeClient({ server: url, token, namespace: 'default', contextName: 'bench' });
    const kube = client;
    // One agent with the admin kubeconfig: the nodes share one client and one watch of all pods.
    agent = startChild(['agent', '--kubeconfig', kubeconfig, '--simulate', String(NODES)]);
    const tNodes = performance.now();
    const sim = agent;
    await until(`${NODES} simulated nodes`, START_MS * 10, async () =>
      sim.process.exitCode !== null || (await kube.list('nodes')).items.length >= NODES ? true : undefined,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${sim.output()}\n${srv.output()}`);
    });
    if (sim.process.exitCode !== null) throw new Error(`the simulating agent exited:\n${sim.output()}`);
    const nodesS = (performance.now() - tNodes) / 1000;
    sampler = new ProcessSampler(pid);
    const namespaces = Array.from({ length: Math.ceil(PODS / NAMESPACE_PODS) }, (_, i) => `scale-${i}`);
    for (const ns of [...namespaces, 'scale-churn']) {
      await kube.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
    let phase = 'fill';
    const tracker = new PodTracker(kube, () => phase);
    const from =
      (await kube.list('pods', { allNamespaces: true, limit: 1 })).metadata?.resourceVersion ?? '0';
    const watching = tracker.run(String(from), abort.signal);
    const probe = startProbe(kube, 'scale-0', abort.signal);
    // Progress every 15 s, so a run cut short by its time bound still tells how far it got.
    const progress = setInterval(() => {
      const s = sampler;
      console.error(
        `scale: +${((performance.now() - tNodes) / 1000).toFixed(0)} s ${phase}: ${tracker.running.size} pods Running, ` +
          `server RSS ${(s?.rss.at(-1) ?? 0).toFixed(0)} MiB, CPU ${((s?.cpu.at(-1) ?? 0) * 100).toFixed(0)}%; ${probe.latencies.summary()}`,
      );
    }, 15_000);

    // Fill: Deployments of REPLICAS, BATCH at a time while fewer than two batches are starting.
    const t0 = performance.now();
    const fillDeadline = Date.now() + FILL_MS;
    const deployments = Math.ceil(PODS / REPLICAS);
    let launched = 0;
    let launchedPods = 0;
    while (tracker.running.size < PODS && Date.now() < fillDeadline) {
      if (launched < deployments && launchedPods - tracker.running.size <= BATCH * REPLICAS) {
        const batch = Array.from({ length: Math.min(BATCH, deployments - launched) }, (_, k) => launched + k);
        launched += batch.length;
        await parallel(batch, 4, async (d) => {
          const replicas = Math.min(REPLICAS, PODS - d * REPLICAS);
          const ns = `scale-${Math.floor((d * REPLICAS) / NAMESPACE_PODS)}`;
          await kube.create('deployments', deployment(ns, `d-${d}`, replicas));
          launchedPods += replicas;
        });
      } else {
        await tracker.next();
      }
    }
    const fillS = (performance.now() - t0) / 1000;
    const placed = tracker.running.size;
    const placedRss = (await memoryMiB(pid)).rss;
    const fillLat = probe.latencies.summary();
    console.error(
      `scale: fill ended: ${placed} of ${PODS} Running after ${fillS.toFixed(0)} s, RSS ${placedRss.toFixed(0)} MiB`,
    );

    // Churn: scale a Deployment between 0 and CHURN_PODS every 5 s; its pods' start is timed.
    phase = 'churn';
    const churnPods = Math.min(500, NODES);
    await kube.create('deployments', deployment('scale-churn', 'churn', 0));
    const churnEnd = Date.now() + CHURN_MS;
    for (let k = 0; Date.now() < churnEnd; k++) {
      await kube
        .patch(
          'deployments',
          'churn',
          { spec: { replicas: k % 2 === 0 ? churnPods : 0 } },
          { namespace: 'scale-churn' },
        )
        .catch(() => undefined);
      await sleep(5000);
    }
    phase = 'after';
    const heldRss = (await memoryMiB(pid)).rss;
    const churned = tracker.startMs.get('churn') ?? [];
    console.error(
      `scale: churn ended: pod start p99 ${quantile(churned, 0.99).toFixed(0)} ms (n=${churned.length})`,
    );
    if (SNAPSHOT_DIR) await heapSnapshot(server, SNAPSHOT_DIR);

    // Namespace deletion: scale-0 (up to 10,000 pods, their ReplicaSets and Deployments).
    const nsPods = Math.min(PODS, NAMESPACE_PODS);
    const t1 = performance.now();
    await kube.delete('namespaces', 'scale-0');
    let deletedS: number | undefined;
    const deleteDeadline = Date.now() + DELETE_MS;
    while (Date.now() < deleteDeadline) {
      const gone = await kube.get('namespaces', 'scale-0').then(
        () => false,
        (err: { status?: number }) => err.status === 404,
      );
      if (gone) {
        deletedS = (performance.now() - t1) / 1000;
        break;
      }
      await sleep(250);
    }
    const left = tracker.runningIn('scale-0/');
    clearInterval(progress);
    abort.abort();
    await Promise.all([probe.done, watching.catch(() => undefined)]);
    sampler.close();
    const lat = probe.latencies;
    const fillStart = tracker.startMs.get('fill') ?? [];
    const churnStart = tracker.startMs.get('churn') ?? [];
    const agentMem = await memoryMiB(agent.process.pid ?? 0);
    const hwm = (await memoryMiB(pid)).hwm;
    console.error(
      `scale ${PODS} pods / ${NODES} nodes (load before ${loadBefore}, after ${await load()}): ` +
        `nodes registered in ${nodesS.toFixed(0)} s; ${placed} of ${PODS} pods Running after ${fillS.toFixed(0)} s ` +
        `(${(placed / fillS).toFixed(0)} pods/s); server RSS idle ${idle.rss.toFixed(0)} MiB, placed ${placedRss.toFixed(0)}, ` +
        `after churn ${heldRss.toFixed(0)}, max sampled ${sampler.maxRss().toFixed(0)}, VmHWM ${hwm.toFixed(0)} MiB; ` +
        `server CPU mean ${(sampler.meanCpu() * 100).toFixed(0)}% of a core; agent RSS ${agentMem.rss.toFixed(0)} MiB\n` +
        `  pod start (first seen -> Running) fill p50 ${quantile(fillStart, 0.5).toFixed(0)} p99 ${quantile(fillStart, 0.99).toFixed(0)} ms (n=${fillStart.length}); ` +
        `churn p50 ${quantile(churnStart, 0.5).toFixed(0)} p99 ${quantile(churnStart, 0.99).toFixed(0)} ms (n=${churnStart.length})\n` +
        `  namespace scale-0 (${nsPods} pods, ${Math.ceil(nsPods / REPLICAS)} Deployments) deleted in ` +
        `${deletedS === undefined ? `> ${DELETE_MS / 1000} s (${left} pods still Running)` : `${deletedS.toFixed(1)} s`}\n` +
        `  API during fill: ${fillLat}\n  API whole run: ${lat.summary()}`,
    );
    return [
      { name: `${PODS}/${NODES}: pods Running`, value: placed, unit: 'pods', goal: `${PODS}` },
      { name: `${PODS}/${NODES}: create -> Running rate`, value: placed / fillS, unit: 'pods/s' },
      {
        name: `${PODS}/${NODES}: server RSS (max sampled)`,
        value: sampler.maxRss(),
        unit: 'MiB',
        peer: { name: `k0s, 10k pods on 100 nodes (published)`, value: K0S_MIB },
        ratio: K0S_MIB / sampler.maxRss(),
        goal: '<= 4 GB',
      },
      { name: `${PODS}/${NODES}: server CPU (mean)`, value: sampler.meanCpu() * 100, unit: '% core' },
      { name: `${PODS}/${NODES}: get p99`, value: lat.p99('get'), unit: 'ms', goal: '<= 1000' },
      { name: `${PODS}/${NODES}: mutating p99`, value: lat.p99('mutating'), unit: 'ms', goal: '<= 1000' },
      {
        name: `${PODS}/${NODES}: list namespace p99`,
        value: lat.p99('list-namespace'),
        unit: 'ms',
        goal: '<= 30000',
      },
      {
        name: `${PODS}/${NODES}: list all pods p99`,
        value: lat.p99('list-all'),
        unit: 'ms',
        goal: '<= 30000',
      },
      {
        name: `${PODS}/${NODES}: pod start p99 under churn`,
        value: quantile(churnStart, 0.99),
        unit: 'ms',
        goal: '<= 5000',
      },
      { name: `${PODS}/${NODES}: pod start p99 while filling`, value: quantile(fillStart, 0.99), unit: 'ms' },
      {
        name: `${PODS}/${NODES}: delete namespace of ${nsPods} pods`,
        value: deletedS ?? Number.POSITIVE_INFINITY,
        unit: 's',
        goal: '<= 60',
      },
    ];
  } finally {
    abort.abort();
    sampler?.close();
    await client?.close();
    await stop(agent);
    await stop(server);
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  for (const r of await benchScale()) console.log(JSON.stringify(r));
}
