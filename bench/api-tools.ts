/**
 * Helpers the API benchmarks share: bounded load loops with latency percentiles, keep-alive
 * requests over HTTP or TLS, child processes and what /proc says about them.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Agent as HttpAgent } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { BenchResult } from './result.js';

/** Concurrent clients of the throughput phases. */
export const CONCURRENCY = 32;
/** No phase runs longer than this, whatever its count. */
export const PHASE_LIMIT_MS = 30_000;

/** The `p`th percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** What a load phase measured. */
export interface PhaseResult {
  /** Operations per second over the phase. */
  rate: number;
  done: number;
  p50: number;
  p99: number;
}

/** Runs `op(0..total-1)` from CONCURRENCY clients, bounded by PHASE_LIMIT_MS. */
export async function loadPhase(total: number, op: (i: number) => Promise<void>): Promise<PhaseResult> {
  let next = 0;
  const latencies: number[] = [];
  const deadline = Date.now() + PHASE_LIMIT_MS;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < total && Date.now() < deadline) {
      const i = next++;
      const start = performance.now();
      await op(i);
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rate: latencies.length / seconds,
    done: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** A request over a keep-alive pool (http or https by the URL); fails on a status of 300 or more. */
export function send(
  url: string,
  agent: HttpAgent | HttpsAgent,
  method: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, { agent, method, headers }, (res) => {
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

/** Polls `check` every 20 ms until it holds; throws after `limitMs`. */
export async function waitFor(check: () => Promise<boolean>, limitMs: number): Promise<void> {
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

/** Polls `probe` every 10 ms until it yields a value (a throw counts as none); throws after `limitMs` (default 60 s). */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  limitMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${what}: not within ${limitMs} ms`);
}

/** Stops a child with SIGTERM, SIGKILL after 10 s. */
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

/** A process's resident memory in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** CPU time (user + system) a process has used, in ms, from /proc (10 ms ticks). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Samples a process's RSS every 20 ms until `stop()`; resolves with the highest sample. */
export function rssPeak(pid: number): { stop: () => Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async (): Promise<void> => {
    while (running) {
      peak = Math.max(peak, await rssMiB(pid).catch(() => 0));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return Math.max(peak, await rssMiB(pid).catch(() => 0));
    },
  };
}

/** Adds etcd's value of the same figure and the ratio (better over worse when lower is better). */
export function withPeer(
  r: BenchResult,
  peerValue: number | undefined,
  higherIsBetter: boolean,
): BenchResult {
  if (peerValue === undefined || peerValue === 0) return r;
  return {
    ...r,
    peer: { name: 'etcd', value: peerValue },
    ratio: higherIsBetter ? r.value / peerValue : peerValue / r.value,
  };
}
