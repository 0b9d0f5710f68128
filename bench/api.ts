/**
 * API server benchmark, on a fresh `stratus server` child process (SQLite store) driven from
 * this process: sequential create latency, creates/s and gets/s from 32 concurrent clients over
 * plain HTTP, watch delivery latency (write → event), idle RSS and cold start to /readyz; then
 * the CRUD figures of `api-crud.ts` (creates, gets, updates and deletes with a watch open, over
 * TLS and plain HTTP, server CPU per request, RSS through the deletes). The peer is etcd
 * (Debian's /usr/bin/etcd when present) on its v3 JSON gateway, measured the same way in the
 * same run. Every loop is bounded in count and time.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNamespaces, stratusCrud, type CrudFigures } from './api-crud.js';
import { crudResults, measureEtcdCrud, measureStratusCrud } from './api-crud-report.js';
import {
  CONCURRENCY,
  loadPhase,
  percentile,
  PHASE_LIMIT_MS,
  rssMiB,
  stop,
  waitFor,
  withPeer,
} from './api-tools.js';
import { ETCD, etcdAgent, etcdTarget, startEtcd } from './etcd-peer.js';
import type { BenchResult } from './result.js';

const SEQUENTIAL_CREATES = 300;
const CONCURRENT_CREATES = 4000;
const CONCURRENT_GETS = 20_000;
const WATCH_WRITES = 200;
const IDLE_SECONDS = 20;

async function sequentialLatency(
  n: number,
  op: (i: number) => Promise<void>,
): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  const deadline = Date.now() + PHASE_LIMIT_MS;
  for (let i = 0; i < n && Date.now() < deadline; i++) {
    const t0 = performance.now();
    await op(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** Fails unless the reply is 2xx; drains the body. */
export async function check(res: Response, what: string): Promise<void> {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

/**
 * RSS 1 s after start and once idle: V8's memory reducer gives back startup garbage after
 * about 10 s without activity, so the idle figure is the last of 20 one-second samples.
 */
async function idleRss(pid: number): Promise<{ afterStart: number; idle: number }> {
  const samples: number[] = [];
  for (let i = 0; i < IDLE_SECONDS; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(await rssMiB(pid));
  }
  return { afterStart: samples[0] ?? 0, idle: samples.at(-1) ?? 0 };
}

/** A running `stratus server` child: its plain-HTTP and TLS base URLs, admin token and CA. */
export interface RunningStratus {
  child: ChildProcess;
  url: string;
  httpsUrl: string;
  token: string;
  ca: string;
  coldStartMs: number;
}

/** Starts `stratus server` (with `extraArgs`, e.g. `--store etcd://…`) as a child and waits for /readyz. */
export async function startStratus(
  dataDir: string,
  extraArgs: readonly string[] = [],
): Promise<RunningStratus> {
  // What users run: bin/stratus (its shebang's flags included) on the bundle `make build` makes.
  const bin = fileURLToPath(new URL('../../bin/stratus', import.meta.url));
  const t0 = performance.now();
  const child = spawn(bin, ['server', '--data-dir', dataDir, '--port', '0', '--s3-port', '0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  let port = '';
  await waitFor(async () => {
    const m = /https?:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    if (!m) return false;
    port = m[1] ?? '';
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
  }, 20_000).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`stratus server did not start: ${err.message}\n${out}`);
  });
  const coldStartMs = performance.now() - t0;
  const kubeconfig = await readFile(join(dataDir, 'kubeconfig'), 'utf8');
  const token = /token: (\S+)/.exec(kubeconfig)?.[1] ?? '';
  const caData = /certificate-authority-data: (\S+)/.exec(kubeconfig)?.[1] ?? '';
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    httpsUrl: `https://127.0.0.1:${port}`,
    token,
    ca: Buffer.from(caData, 'base64').toString(),
    coldStartMs,
  };
}

async function watchLatency(url: string, token: string): Promise<{ p50: number; p99: number }> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const base = `${url}/api/v1/namespaces/default/configmaps`;
  await check(
    await fetch(base, {
      method: 'POST',
      headers,
      body: JSON.stringify({ metadata: { name: 'bench-watch' }, data: { n: '0' } }),
    }),
    'create',
  );
  const controller = new AbortController();
  const res = await fetch(`${base}?watch=true&fieldSelector=metadata.name%3Dbench-watch&resourceVersion=0`, {
    headers,
    signal: controller.signal,
  });
  const reader = res.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const decoder = new TextDecoder();
  let buf = '';
  const nextEvent = async (): Promise<string> => {
    for (;;) {
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('watch ended');
      buf += decoder.decode(value, { stream: true });
    }
  };
  await nextEvent(); // the initial ADDED
  const times: number[] = [];
  const deadline = Date.now() + PHASE_LIMIT_MS;
  for (let i = 1; i <= WATCH_WRITES && Date.now() < deadline; i++) {
    const t0 = performance.now();
    const write = fetch(`${base}/bench-watch`, {
      method: 'PATCH',
      headers: { ...headers, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ data: { n: String(i) } }),
    });
    await nextEvent();
    times.push(performance.now() - t0);
    await check(await write, 'patch');
  }
  controller.abort();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** Runs the API benchmark; see the module comment. */
export async function benchApi(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-api-'));
  const results: BenchResult[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const peerAgent = etcdAgent();
  let stratus: ChildProcess | undefined;
  let etcd: ChildProcess | undefined;
  try {
    const s = await startStratus(join(dir, 'stratus'));
    stratus = s.child;
    const pid = s.child.pid ?? 0;
    const rss = await idleRss(pid);
    const endpoint = { url: s.url, token: s.token };
    await ensureNamespaces(endpoint, agent, ['seq', 'plain']);
    const seq = stratusCrud(endpoint, 'seq', agent);
    const plain = stratusCrud(endpoint, 'plain', agent);
    const sLat = await sequentialLatency(SEQUENTIAL_CREATES, (i) => seq.create(i));
    const sCreates = (await loadPhase(CONCURRENT_CREATES, (i) => plain.create(i))).rate;
    const sGets = (await loadPhase(CONCURRENT_GETS, (i) => plain.get(i % CONCURRENT_CREATES))).rate;
    const sWatch = await watchLatency(s.url, s.token);
    const crud = await measureStratusCrud(s, pid);

    let peer: { lat: { p50: number; p99: number }; creates: number; gets: number } | undefined;
    let peerCrud: CrudFigures | undefined;
    if (existsSync(ETCD)) {
      const e = await startEtcd(dir);
      etcd = e.child;
      const et = etcdTarget(e.url, 'seq', peerAgent);
      const ep = etcdTarget(e.url, 'plain', peerAgent);
      peer = {
        lat: await sequentialLatency(SEQUENTIAL_CREATES, (i) => et.create(i)),
        creates: (await loadPhase(CONCURRENT_CREATES, (i) => ep.create(i))).rate,
        gets: (await loadPhase(CONCURRENT_GETS, (i) => ep.get(i % CONCURRENT_CREATES))).rate,
      };
      peerCrud = await measureEtcdCrud(e.url, peerAgent);
    } else {
      console.error(`api bench: ${ETCD} not installed, reporting goals only`);
    }
    results.push(
      withPeer(
        { name: 'api create latency p50 (sequential)', value: sLat.p50, unit: 'ms', goal: '-' },
        peer?.lat.p50,
        false,
      ),
      withPeer(
        { name: 'api create latency p99 (sequential)', value: sLat.p99, unit: 'ms', goal: '<= 10 ms' },
        peer?.lat.p99,
        false,
      ),
      withPeer(
        {
          name: `api creates/s (${CONCURRENCY} clients, HTTP, no watch)`,
          value: sCreates,
          unit: 'ops/s',
          goal: '>= 2000 ops/s',
        },
        peer?.creates,
        true,
      ),
      withPeer(
        {
          name: `api gets/s (${CONCURRENCY} clients, HTTP, no watch)`,
          value: sGets,
          unit: 'ops/s',
          goal: '>= 10000 ops/s',
        },
        peer?.gets,
        true,
      ),
      { name: 'api watch delivery latency p50', value: sWatch.p50, unit: 'ms', goal: '<= 5 ms' },
      { name: 'api watch delivery latency p99', value: sWatch.p99, unit: 'ms', goal: '-' },
      ...crudResults(crud, peerCrud),
      { name: 'api server RSS 1 s after start', value: rss.afterStart, unit: 'MiB' },
      {
        name: `api server idle RSS (after ${IDLE_SECONDS} s)`,
        value: rss.idle,
        unit: 'MiB',
        goal: '<= 60 MiB',
      },
      { name: 'api server cold start to /readyz', value: s.coldStartMs, unit: 'ms', goal: '<= 500 ms' },
    );
  } finally {
    agent.destroy();
    peerAgent.destroy();
    if (stratus) await stop(stratus);
    if (etcd) await stop(etcd);
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
