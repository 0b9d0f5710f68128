/**
 * What bench/scale.ts measures while it loads the server (Kubernetes' API SLOs as the clusterloader
 * "load" test reads them): a probe that keeps issuing gets, mutating calls (create, update, delete
 * of a ConfigMap) and lists (one namespace's pods, all pods) and records each latency; a sampler of
 * the server's RSS and CPU from /proc; and a pod tracker that, from one watch of all pods, times
 * each pod from first seen (ADDED) to first seen Running, as the simulated agent reports it.
 */
import { readFile } from 'node:fs/promises';
import type { KubeClient } from '../src/client/index.js';

/** The q-quantile (0..1) of `values`, 0 when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

/** Latencies in ms by kind of call, plus the calls that failed. */
export class Latencies {
  readonly ms = new Map<string, number[]>();
  readonly errors = new Map<string, number>();

  async time<T>(kind: string, call: () => Promise<T>): Promise<T | undefined> {
    const t = performance.now();
    try {
      return await call();
    } catch {
      this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
      return undefined;
    } finally {
      const list = this.ms.get(kind) ?? [];
      list.push(performance.now() - t);
      this.ms.set(kind, list);
    }
  }

  p99(kind: string): number {
    return quantile(this.ms.get(kind) ?? [], 0.99);
  }

  max(kind: string): number {
    return Math.max(0, ...(this.ms.get(kind) ?? []));
  }

  count(kind: string): number {
    return this.ms.get(kind)?.length ?? 0;
  }

  summary(): string {
    return [...this.ms.keys()]
      .map(
        (k) =>
          `${k} n=${this.count(k)} p50=${quantile(this.ms.get(k) ?? [], 0.5).toFixed(0)} ` +
          `p99=${this.p99(k).toFixed(0)} max=${this.max(k).toFixed(0)} ms` +
          (this.errors.get(k) ? ` errors=${this.errors.get(k)}` : ''),
      )
      .join('; ');
  }
}

/**
 * Runs the API probe until `signal` aborts: a get and a create/update/delete every 250 ms, a list of
 * `namespace`'s pods every 5 s, a list of all pods every 30 s, each loop on its own so a slow list
 * does not hold the gets back.
 */
export function startProbe(
  client: KubeClient,
  namespace: string,
  signal: AbortSignal,
): { latencies: Latencies; done: Promise<void> } {
  const latencies = new Latencies();
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      signal.addEventListener('abort', wake, { once: true });
    });
  const loop = async (everyMs: number, step: (i: number) => Promise<void>): Promise<void> => {
    for (let i = 0; !signal.aborted; i++) {
      const t = performance.now();
      await step(i);
      await pause(Math.max(0, everyMs - (performance.now() - t)));
    }
  };
  const cm = (i: number, v: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `probe-${i}`, namespace: 'default' },
    data: { v },
  });
  const done = Promise.all([
    loop(250, async () => {
      await latencies.time('get', () => client.get('nodes', 'sim-node-0'));
    }),
    loop(250, async (i) => {
      const created = await latencies.time('mutating', () => client.create('configmaps', cm(i, 'a')));
      if (!created) return;
      await latencies.time('mutating', () =>
        client.update('configmaps', { ...cm(i, 'b'), metadata: created.metadata }),
      );
      await latencies.time('mutating', () =>
        client.delete('configmaps', `probe-${i}`, { namespace: 'default' }),
      );
    }),
    loop(5000, async () => {
      await latencies.time('list-namespace', () => client.list('pods', { namespace }));
    }),
    loop(30_000, async () => {
      await latencies.time('list-all', () => client.list('pods', { allNamespaces: true }));
    }),
  ]).then(() => undefined);
  return { latencies, done };
}

/** Samples a process's RSS (MiB) and CPU (share of one core) from /proc once a second. */
export class ProcessSampler {
  readonly rss: number[] = [];
  readonly cpu: number[] = [];
  private readonly timer: NodeJS.Timeout;
  private last: { ticks: number; at: number } | undefined;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => void this.sample().catch(() => undefined), 1000);
  }

  private async sample(): Promise<void> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    this.rss.push(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
    const stat = (await readFile(`/proc/${this.pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the command name; clock ticks of 10 ms.
    const ticks = Number(stat[11] ?? 0) + Number(stat[12] ?? 0);
    const at = performance.now();
    if (this.last) this.cpu.push((ticks - this.last.ticks) / 100 / ((at - this.last.at) / 1000));
    this.last = { ticks, at };
  }

  maxRss(): number {
    return Math.max(0, ...this.rss);
  }

  meanCpu(): number {
    return this.cpu.length === 0 ? 0 : this.cpu.reduce((a, b) => a + b, 0) / this.cpu.length;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * Follows every pod through one watch (resumed when the server ends it): when each was first
 * seen, when first seen Running (the start latency, split by `phase()` at the time it was seen),
 * and how many are Running and not being deleted now.
 */
export class PodTracker {
  readonly running = new Set<string>();
  private readonly seen = new Map<string, { at: number; phase: string }>();
  readonly startMs = new Map<string, number[]>();
  private waiters: Array<() => void> = [];

  constructor(
    private readonly client: KubeClient,
    private readonly phase: () => string,
  ) {}

  async run(fromRevision: string, signal: AbortSignal): Promise<void> {
    let resourceVersion = fromRevision;
    while (!signal.aborted) {
      try {
        for await (const event of this.client.watch('pods', {
          allNamespaces: true,
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: 60,
          signal,
        })) {
          resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
          if (event.type === 'BOOKMARK') continue;
          this.observe(event.type, event.object);
        }
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
    }
  }

  private observe(
    type: string,
    pod: {
      metadata: { namespace?: string; name?: string; deletionTimestamp?: string };
      status?: { phase?: string };
    },
  ): void {
    const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    const now = performance.now();
    if (type === 'DELETED') {
      this.running.delete(key);
      this.seen.delete(key);
    } else {
      let first = this.seen.get(key);
      if (first === undefined) {
        first = { at: now, phase: this.phase() };
        this.seen.set(key, first);
      }
      if (pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp) {
        if (!this.running.has(key)) {
          const list = this.startMs.get(first.phase) ?? [];
          list.push(now - first.at);
          this.startMs.set(first.phase, list);
        }
        this.running.add(key);
      } else if (pod.metadata.deletionTimestamp) {
        this.running.delete(key);
      }
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at the next event seen (or after 1 s). */
  next(): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, 1000);
      this.waiters.push(() => (clearTimeout(t), resolve()));
    });
  }

  runningIn(prefix: string): number {
    let n = 0;
    for (const k of this.running) if (k.startsWith(prefix)) n++;
    return n;
  }
}
