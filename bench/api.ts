/**
 * API server benchmark, on a fresh `stratus server` child process (SQLite store) driven over
 * keep-alive HTTP from this process: sequential create latency, creates/s and gets/s from 32
 * concurrent clients, watch delivery latency (write → event), idle RSS and cold start to
 * /readyz. The peer is etcd (Debian's /usr/bin/etcd when present) on its v3 JSON gateway,
 * measured the same way in the same run. Every loop is bounded in count and time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './result.js';

export const CONCURRENCY = 32;
const SEQUENTIAL_CREATES = 300;
export const CONCURRENT_CREATES = 4000;
export const CONCURRENT_GETS = 20_000;
const WATCH_WRITES = 200;
const PHASE_LIMIT_MS = 30_000;
const IDLE_SECONDS = 20;
const ETCD = '/usr/bin/etcd';

/** What a throughput phase drives. */
export interface Target {
  create(i: number): Promise<void>;
  get(): Promise<void>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

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

/** Runs `total` operations from CONCURRENCY workers (bounded in time); resolves with ops/s. */
export async function rate(total: number, op: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let done = 0;
  const deadline = Date.now() + PHASE_LIMIT_MS;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < total && Date.now() < deadline) {
      await op(next++);
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return done / ((performance.now() - t0) / 1000);
}

/** Fails unless the reply is 2xx; drains the body. */
export async function check(res: Response, what: string): Promise<void> {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`not ready within ${limitMs} ms`);
}

/** Stops a child: SIGTERM, then SIGKILL after 10 s. */
export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function rssMiB(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
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

/** Starts `stratus server` as a child; resolves with its plain-HTTP base URL and admin token. */
export async function startStratus(
  dataDir: string,
): Promise<{ child: ChildProcess; url: string; token: string; coldStartMs: number }> {
  // What users run: bin/stratus (its shebang's flags included) on the bundle `make build` makes.
  const bin = fileURLToPath(new URL('../../bin/stratus', import.meta.url));
  const t0 = performance.now();
  const child = spawn(bin, ['server', '--data-dir', dataDir, '--port', '0', '--s3-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  let url = '';
  await waitFor(async () => {
    const m = /https?:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    if (!m) return false;
    url = `http://127.0.0.1:${m[1]}`;
    return (await fetch(`${url}/readyz`)).ok;
  }, 20_000).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`stratus server did not start: ${err.message}\n${out}`);
  });
  const coldStartMs = performance.now() - t0;
  const kubeconfig = await readFile(join(dataDir, 'kubeconfig'), 'utf8');
  const token = /token: (\S+)/.exec(kubeconfig)?.[1] ?? '';
  return { child, url, token, coldStartMs };
}

/** One keep-alive pool for the throughput phases: fetch in this process was the bottleneck. */
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** A request over the keep-alive pool; fails on a status of 300 or more. */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, method, headers }, (res) => {
      res.resume();
      res.on('end', () =>
        (res.statusCode ?? 500) < 300
          ? resolve()
          : reject(new Error(`${method} ${url}: HTTP ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Creates and gets of ConfigMaps in `default` with a bearer token. */
export function stratusTarget(url: string, token: string, runId: string): Target {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const base = `${url}/api/v1/namespaces/default/configmaps`;
  return {
    create: (i) =>
      send(
        base,
        'POST',
        headers,
        JSON.stringify({ metadata: { name: `${runId}-${i}` }, data: { key: 'value' } }),
      ),
    get: () => send(`${base}/bench-get`, 'GET', headers),
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

async function startEtcd(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const client = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${client}`;
  const child = spawn(
    ETCD,
    [
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      url,
      '--advertise-client-urls',
      url,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${peer}`,
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  );
  await waitFor(async () => (await fetch(`${url}/health`)).ok, 20_000).catch((err: Error) => {
    child.kill('SIGKILL');
    throw err;
  });
  return { child, url };
}

function etcdTarget(url: string, runId: string): Target {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const value = b64(JSON.stringify({ metadata: { name: 'x' }, data: { key: 'value' } }));
  const post = (path: string, body: unknown): Promise<void> =>
    send(url + path, 'POST', { 'content-type': 'application/json' }, JSON.stringify(body));
  return {
    create: (i) => post('/v3/kv/put', { key: b64(`/registry/configmaps/default/${runId}-${i}`), value }),
    get: () => post('/v3/kv/range', { key: b64('/registry/configmaps/default/bench-get') }),
  };
}

/** Runs the API benchmark; see the module comment. */
export async function benchApi(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-api-'));
  const results: BenchResult[] = [];
  let stratus: ChildProcess | undefined;
  let etcd: ChildProcess | undefined;
  try {
    const s = await startStratus(join(dir, 'stratus'));
    stratus = s.child;
    const rss = await idleRss(s.child.pid ?? 0);
    const st = stratusTarget(s.url, s.token, 'seq');
    await st.create(-1).catch(() => undefined);
    await check(
      await fetch(`${s.url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'bench-get' }, data: { key: 'value' } }),
      }),
      'create',
    );
    const sLat = await sequentialLatency(SEQUENTIAL_CREATES, (i) => st.create(i));
    const sCreates = await rate(CONCURRENT_CREATES, (i) => stratusTarget(s.url, s.token, 'par').create(i));
    const sGets = await rate(CONCURRENT_GETS, () => st.get());
    const sWatch = await watchLatency(s.url, s.token);

    let peer: { lat: { p50: number; p99: number }; creates: number; gets: number } | undefined;
    if (existsSync(ETCD)) {
      const e = await startEtcd(dir);
      etcd = e.child;
      const et = etcdTarget(e.url, 'seq');
      await etcdTarget(e.url, 'x').create(0);
      await fetch(`${e.url}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({
          key: Buffer.from('/registry/configmaps/default/bench-get').toString('base64'),
          value: 'eA==',
        }),
      });
      peer = {
        lat: await sequentialLatency(SEQUENTIAL_CREATES, (i) => et.create(i)),
        creates: await rate(CONCURRENT_CREATES, (i) => etcdTarget(e.url, 'par').create(i)),
        gets: await rate(CONCURRENT_GETS, () => et.get()),
      };
    } else {
      console.error(`api bench: ${ETCD} not installed, reporting goals only`);
    }
    const withPeer = (
      r: BenchResult,
      peerValue: number | undefined,
      higherIsBetter: boolean,
    ): BenchResult => {
      if (peerValue === undefined || peerValue === 0) return r;
      return {
        ...r,
        peer: { name: 'etcd', value: peerValue },
        ratio: higherIsBetter ? r.value / peerValue : peerValue / r.value,
      };
    };
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
          name: `api creates/s (${CONCURRENCY} clients)`,
          value: sCreates,
          unit: 'ops/s',
          goal: '>= 2000 ops/s',
        },
        peer?.creates,
        true,
      ),
      withPeer(
        { name: `api gets/s (${CONCURRENCY} clients)`, value: sGets, unit: 'ops/s', goal: '>= 10000 ops/s' },
        peer?.gets,
        true,
      ),
      { name: 'api watch delivery latency p50', value: sWatch.p50, unit: 'ms', goal: '<= 5 ms' },
      { name: 'api watch delivery latency p99', value: sWatch.p99, unit: 'ms', goal: '-' },
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
    if (stratus) await stop(stratus);
    if (etcd) await stop(etcd);
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
