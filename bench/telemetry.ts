/**
 * Telemetry figures (issue 14): what sampling the node's pods costs (CPU per round, as a share of
 * a core at the 15 s default), against Debian's `prometheus-node-exporter` scraped at the same
 * interval; the RSS that sampling and metering add to an idle `stratus up` with 50 pods, against
 * the same `stratus up` with sampling off, run beside it; and how long the server's `/metrics`
 * takes with 10,000 pods stored, against etcd's `/metrics` with 10,000 keys.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../src/client/index.js';
import { startServer } from '../src/cli/server.js';
import { ProcessRuntime } from '../src/runtime/index.js';
import { ResourceCollector, type ContainerSample } from '../src/telemetry/index.js';
import { loadPhase, percentile, rssMiB, until, waitFor } from './api-tools.js';
import { freePort } from '../src/common/free-port.js';
import { etcdAgent, etcdTarget, startEtcd, ETCD } from './etcd-peer.js';
import type { BenchResult } from './result.js';
import { startUp, stopUp } from './workloads.js';

const PODS = 50;
const ROUNDS = 40;
const INTERVAL_S = 15;
const STORED_PODS = 10_000;
const RENDERS = 100;
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
/** Idle time before RSS is read (several sampling and metering rounds, a usage compaction). */
const SETTLE_S = 90;
/** RSS readings, one every RSS_EVERY_S, of which the median counts. */
const RSS_READINGS = 25;
const RSS_EVERY_S = 5;

/** CPU milliseconds a process has used, from /proc (utime + stime at 100 ticks/s). */
function processCpuMs(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** CPU ms per sampling round over PODS idle containers (half in cgroups of their own when root). */
async function samplingCost(dir: string): Promise<number> {
  const runtime = new ProcessRuntime({ dataDir: join(dir, 'runtime') });
  const ids: string[] = [];
  try {
    for (let i = 0; i < PODS; i++) {
      ids.push(
        await runtime.start({
          podUid: `uid-${i}`,
          podNamespace: 'bench',
          podName: `idle-${i}`,
          containerName: 'main',
          attempt: 0,
          command: ['sleep', '3600'],
          env: {},
          ...(i % 2 === 0 ? { limits: { memoryBytes: 64 * 1024 * 1024 } } : {}),
        }),
      );
    }
    // As the agent reads them (src/agent/resource-samples.ts): one statsMany per round.
    const containers = async (): Promise<ContainerSample[]> => {
      const stats = await runtime.statsMany(ids);
      return ids.flatMap((id, i) => {
        const s = stats.get(id);
        return s === undefined
          ? []
          : [{ namespace: 'bench', pod: `idle-${i}`, podUid: `uid-${i}`, container: 'main', id, usage: s }];
      });
    };
    const collector = new ResourceCollector({ node: 'bench', containers });
    await collector.sample();
    const before = process.cpuUsage();
    for (let r = 0; r < ROUNDS; r++) await collector.sample();
    const used = process.cpuUsage(before);
    await collector.close();
    return (used.user + used.system) / 1000 / ROUNDS;
  } finally {
    for (const id of ids) {
      await runtime.stop(id, { gracePeriodSeconds: 1 }).catch(() => undefined);
      await runtime.remove(id).catch(() => undefined);
    }
    await runtime.close();
  }
}

/** CPU ms node_exporter spends per scrape, from its /proc entry. */
async function nodeExporterCost(): Promise<number | undefined> {
  if (!existsSync(NODE_EXPORTER)) return undefined;
  const port = await freePort();
  const child = spawn(NODE_EXPORTER, [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    await waitFor(async () => (await fetch(url)).ok, 20_000);
    const pid = child.pid ?? 0;
    const before = processCpuMs(pid);
    for (let r = 0; r < ROUNDS; r++) await (await fetch(url)).text();
    return (processCpuMs(pid) - before) / ROUNDS;
  } finally {
    child.kill('SIGTERM');
  }
}

/**
 * Median RSS (MiB) of two `stratus up`s side by side, each with PODS idle pods: one with sampling
 * off (`--metric-resolution 0`: no samples, so its usage meter records nothing), one at the 15 s
 * default (the agent's collector, the meter's records in usage.db). Run at once so the machine's
 * load is the same for both.
 */
async function upRss(dir: string): Promise<{ off: number; on: number; paired: number; pairs: number }> {
  // Free ingress ports and a Service range each, so neither waits for an address the other holds.
  const flags = (range: string): string[] => [
    ...['--ingress-http-port', '0', '--ingress-https-port', '0'],
    ...['--service-cluster-ip-range', range],
  ];
  const ups = await Promise.all([
    startUp(join(dir, 'up-off'), [...flags('127.91.0.0/16'), '--metric-resolution', '0']),
    startUp(join(dir, 'up-on'), flags('127.92.0.0/16')),
  ]);
  try {
    await Promise.all(
      ups.map(async ({ client }) => {
        for (let i = 0; i < PODS; i++) {
          await client.create('pods', {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: `idle-${i}`, namespace: 'default' },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'main', image: 'sleep', command: ['sleep', '3600'] }],
            },
          });
        }
        await until(
          async () => {
            const pods = (await client.list('pods', { namespace: 'default' })).items;
            const running = pods.filter(
              (p) => (p['status'] as { phase?: string } | undefined)?.phase === 'Running',
            );
            return running.length === PODS || undefined;
          },
          `${PODS} pods running`,
          300_000,
        );
      }),
    );
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    // V8 sizes each process's young generation (4 to 32 MiB here) from its allocation rate, and
    // the two rarely change size together: a reading counts when both are the same size.
    const newSpace = async (client: KubeClient): Promise<number> => {
      const text = (await client.request<string>('GET', '/metrics')).body;
      return Number(/^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)/m.exec(text)?.[1]);
    };
    const all: [number[], number[]] = [[], []];
    const paired: number[] = [];
    for (let i = 0; i < RSS_READINGS; i++) {
      const young: number[] = [];
      const rss: number[] = [];
      for (const [k, up] of ups.entries()) {
        young.push(await newSpace(up.client));
        rss.push(await rssMiB(up.child.pid ?? 0));
        all[k]?.push(rss[k] ?? 0);
      }
      if (young[0] === young[1]) paired.push((rss[1] ?? 0) - (rss[0] ?? 0));
      await new Promise((r) => setTimeout(r, RSS_EVERY_S * 1000));
    }
    const median = (xs: number[]): number =>
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      );
    return {
      off: median(all[0]),
      on: median(all[1]),
      paired: paired.length > 0 ? median(paired) : NaN,
      pairs: paired.length,
    };
  } finally {
    for (const { client, child } of ups) {
      await client.close();
      await stopUp(child);
    }
  }
}

/** p50 of GET `url` (ms), RENDERS times in a row. */
async function renderP50(url: string, headers: Record<string, string>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RENDERS; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    await res.text();
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    times.push(performance.now() - t0);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

/** The server's /metrics with STORED_PODS pods stored (ms, p50). */
async function serverRender(dir: string): Promise<number> {
  const server = await startServer({ dataDir: join(dir, 'server'), apiPort: 0 });
  const client = new KubeClient({
    server: server.httpUrl,
    token: server.adminToken,
    namespace: 'default',
    contextName: 'bench',
  });
  try {
    // Each load phase is bounded at 30 s; up to six of them fill the store.
    let made = 0;
    for (let phase = 0; phase < 6 && made < STORED_PODS; phase++) {
      const from = made;
      const r = await loadPhase(STORED_PODS - from, async (i) => {
        await client.create('pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `p-${from + i}`, namespace: 'default', labels: { app: `a${(from + i) % 10}` } },
          spec: { containers: [{ name: 'main', image: 'sleep', command: ['sleep', '3600'] }] },
        });
      });
      made += r.done;
    }
    if (made < STORED_PODS) throw new Error(`only ${made} pods created in time`);
    return await renderP50(`${server.httpUrl}/metrics`, { authorization: `Bearer ${server.adminToken}` });
  } finally {
    await client.close();
    await server.close();
  }
}

/** etcd's /metrics with STORED_PODS keys (ms, p50). */
async function etcdRender(dir: string): Promise<number | undefined> {
  if (!existsSync(ETCD)) return undefined;
  const etcd = await startEtcd(dir);
  try {
    const target = etcdTarget(etcd.url, 'bench', etcdAgent());
    await loadPhase(STORED_PODS, (i) => target.create(i));
    return await renderP50(`${etcd.url}/metrics`, {});
  } finally {
    etcd.child.kill('SIGTERM');
  }
}

/** Runs the telemetry figures. */
export async function benchTelemetry(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-telemetry-'));
  try {
    const perRound = await samplingCost(dir);
    const exporter = await nodeExporterCost();
    const share = (ms: number): number => (ms / (INTERVAL_S * 1000)) * 100;
    const render = await serverRender(dir);
    const etcd = await etcdRender(dir);
    return [
      {
        name: `sampling ${PODS} pods + node, CPU per round`,
        value: perRound,
        unit: 'ms',
        ...(exporter !== undefined
          ? { peer: { name: 'node_exporter scrape', value: exporter }, ratio: perRound / exporter }
          : {}),
      },
      {
        name: `sampling every ${INTERVAL_S} s, share of a core`,
        value: share(perRound),
        unit: '%',
        ...(exporter !== undefined
          ? { peer: { name: 'node_exporter', value: share(exporter) }, ratio: perRound / exporter }
          : {}),
        goal: '<= 1 %',
      },
      {
        name: `server /metrics with ${STORED_PODS} pods, p50`,
        value: render,
        unit: 'ms',
        ...(etcd !== undefined
          ? { peer: { name: `etcd /metrics, ${STORED_PODS} keys`, value: etcd }, ratio: render / etcd }
          : {}),
        goal: '<= 20 ms',
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The RSS figure (`telemetry-rss`: two `stratus up`s side by side for a few minutes). */
export async function benchUpRss(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-telemetry-rss-'));
  try {
    const rss = await upRss(dir);
    return [
      {
        name: `stratus up with ${PODS} idle pods, RSS sampling every ${INTERVAL_S} s minus sampling off, equal young generations (${rss.pairs} of ${RSS_READINGS} readings)`,
        value: rss.paired,
        unit: 'MiB',
        goal: '<= 5 MB (4.77 MiB)',
      },
      {
        name: `stratus up with ${PODS} idle pods, median RSS sampling every ${INTERVAL_S} s minus sampling off`,
        value: rss.on - rss.off,
        unit: 'MiB',
        peer: { name: `RSS with sampling off (on: ${rss.on.toFixed(1)} MiB)`, value: rss.off },
        ratio: rss.on / rss.off,
        goal: '<= 5 MB (4.77 MiB)',
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
