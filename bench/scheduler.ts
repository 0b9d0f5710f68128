/**
 * Scheduler benchmark. Pure: `scheduleOnto` placing 10,000 pods on 500 nodes with kept node
 * views (as the scheduler loop runs it), against the peer of rebuilding the snapshot for every
 * pod (what a naive loop does). End to end: a real server (SQLite in a temp dir), 500 simulated
 * nodes, 2,000 pending pods created through the API, then the scheduler loop started and timed
 * until every pod is bound through `POST pods/NAME/binding`, and again until every Scheduled
 * Event (written behind the bindings by the EventRecorder) is stored. Every phase is bounded in
 * count and time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { startSimulatedNodes } from '../src/agent/simulated-nodes.js';
import { startServer } from '../src/cli/server.js';
import { EventRecorder, KubeClient } from '../src/client/index.js';
import { InformerFactory } from '../src/machinery/index.js';
import { buildNodeInfos, schedule, scheduleOnto, SchedulerLoop } from '../src/scheduler/index.js';
import type { BenchResult } from './result.js';

const NODES = 500;
const PURE_PODS = 10_000;
const NAIVE_PODS = 300;
const E2E_PODS = 2000;
const LIMIT_MS = 120_000;

function node(i: number): Node {
  const name = `sim-node-${i}`;
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: {},
    status: { allocatable: { cpu: '32', memory: '256Gi', pods: '110' } },
  };
}

function pod(i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${i}`, namespace: 'default', labels: { app: 'bench' } },
    spec: {
      containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
    },
  };
}

function pureThroughput(): BenchResult {
  const nodes = Array.from({ length: NODES }, (_, i) => node(i));
  const pods = Array.from({ length: PURE_PODS }, (_, i) => pod(i));
  const infos = buildNodeInfos({ nodes, boundPods: [] });
  const t0 = performance.now();
  let placed = 0;
  for (let i = 0; i < pods.length; i += 1000) {
    placed += scheduleOnto(pods.slice(i, i + 1000), infos, { topScores: 1 }).filter((p) => p.node).length;
  }
  const fast = placed / ((performance.now() - t0) / 1000);

  // The peer: a fresh snapshot (all nodes, all pods bound so far) for every pod.
  const bound: Pod[] = [];
  const t1 = performance.now();
  for (let i = 0; i < NAIVE_PODS; i++) {
    const [p] = schedule([pods[i]!], { nodes, boundPods: bound });
    if (p?.node) bound.push({ ...pods[i]!, spec: { ...pods[i]!.spec!, nodeName: p.node } });
  }
  const naive = NAIVE_PODS / ((performance.now() - t1) / 1000);
  return {
    name: `schedule() pods/s onto ${NODES} nodes (pure)`,
    value: fast,
    unit: 'pods/s',
    peer: { name: 'snapshot rebuilt per pod', value: naive },
    ratio: fast / naive,
  };
}

async function endToEnd(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-sched-'));
  const server = await startServer({ dataDir: dir, apiPort: 0 });
  const client = new KubeClient({
    server: server.httpUrl,
    token: server.adminToken,
    namespace: 'default',
    contextName: 'bench',
  });
  const sim = await startSimulatedNodes({ client, count: NODES, runPods: false });
  const informers = new InformerFactory(client);
  const recorder = new EventRecorder(client, { component: 'default-scheduler' });
  const loop = new SchedulerLoop({ client, informers, recorder });
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < E2E_PODS) await client.create('pods', pod(next++) as never);
      }),
    );
    const t0 = performance.now();
    await loop.start();
    const deadline = Date.now() + LIMIT_MS;
    while (loop.bound < E2E_PODS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const seconds = (performance.now() - t0) / 1000;
    const bound = loop.bound;
    // Events are written behind the bindings (a few writers, never on the binding path).
    await Promise.race([recorder.flush(), new Promise((r) => setTimeout(r, LIMIT_MS))]);
    const withEvents = (performance.now() - t0) / 1000;
    return [
      {
        name: `scheduler loop pods/s onto ${NODES} simulated nodes (API bind; Events behind)`,
        value: bound / seconds,
        unit: 'pods/s',
        goal: '>= 2000 pods/s',
      },
      {
        name: `same, until every Scheduled Event is written too`,
        value: bound / withEvents,
        unit: 'pods/s',
      },
    ];
  } finally {
    await loop.close();
    await recorder.close();
    await informers.close();
    await sim.close();
    await client.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the scheduler benchmarks (pure placement and end-to-end binding through the API). */
export async function benchScheduler(): Promise<BenchResult[]> {
  return [pureThroughput(), ...(await endToEnd())];
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  for (const r of await benchScheduler()) console.log(JSON.stringify(r));
}
