/**
 * The built-in data plane: HTTP (L7), TCP and UDP (L4) listeners served by the main thread and
 * `threads - 1` worker threads, each with its own descriptor of every listening socket (see
 * listen-fds.ts), so that both cores accept and proxy. In-flight counts and source affinity
 * live in shared memory; active health checks run on the main thread and their verdicts, like
 * ejections, are passed to every thread. One process keeps the memory small: a second V8
 * isolate costs a few MiB, a second node process some 40.
 */
import { availableParallelism } from 'node:os';
import type { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { BoundAddress, DataPlane } from '../data-plane.js';
import { dataPlaneClosed, dataPlaneFailed } from '../errors.js';
import { HealthChecker } from '../health/health-checker.js';
import { normalizeConfig, type Listener, type ProxyConfig } from '../proxy-config.js';
import type { ListenerStats } from '../traffic-stats.js';
import { affinityTableLength } from '../affinity-table.js';
import { Engine, type ThreadListener } from './engine.js';
import { bindShared, releaseFds } from './listen-fds.js';
import { SLOT_COUNT, SlotAllocator } from './shared-slots.js';
import { mergeSnapshots, type ThreadSnapshot } from './merge-snapshots.js';
import type { FromWorker, ToWorker } from './worker-entry.js';

/** Options of NodeDataPlane.start. */
export interface NodeDataPlaneOptions {
  /** Threads that accept and proxy, the main one included; default: the machine's cores. */
  threads?: number;
  /** Append a JSON line per request or connection to this file. */
  accessLogPath?: string;
  /** How long a removed listener's open connections may take to finish; default 30 s. */
  drainMs?: number;
  /** Young generation of each worker thread's heap, in MiB; default 4. */
  youngGenerationMb?: number;
}

const AFFINITY_ENTRIES = 65_536;

interface WorkerHandle {
  worker: Worker;
  pending: Map<number, { resolve(v: unknown): void; reject(e: Error): void }>;
}

interface Binding {
  key: string;
  port: number;
  fds: number[];
  early?: Socket[];
}

/** See the file comment. */
export class NodeDataPlane implements DataPlane {
  readonly driver = 'node';
  private readonly cells = new SharedArrayBuffer(SLOT_COUNT * 4);
  private readonly affinity = new SharedArrayBuffer(affinityTableLength(AFFINITY_ENTRIES) * 4);
  private readonly allocator = new SlotAllocator(new Int32Array(this.cells));
  private readonly engine: Engine;
  private readonly workers: WorkerHandle[] = [];
  private readonly checker: HealthChecker;
  private readonly bindings = new Map<string, Binding>();
  private readonly slots = new Map<string, Record<string, number>>();
  private listeners: Listener[] = [];
  private readonly ports = new Map<string, number>();
  private serial: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private closed = false;
  private failure: string | undefined;

  private constructor(
    private readonly threads: number,
    private readonly options: NodeDataPlaneOptions,
  ) {
    const drainMs = options.drainMs ?? 30_000;
    this.engine = new Engine({
      counts: this.cells,
      affinity: this.affinity,
      accessLogPath: options.accessLogPath,
      drainMs,
      onEject: (listener, id, until) => this.broadcast({ type: 'eject', listener, id, until }),
    });
    this.checker = new HealthChecker((listener, id, healthy) => {
      this.engine.setHealthy(listener, id, healthy);
      this.broadcast({ type: 'health', listener, id, healthy });
    });
  }

  /** Starts the worker threads; listeners come with the first `apply()`. */
  static async start(options: NodeDataPlaneOptions = {}): Promise<NodeDataPlane> {
    const threads = Math.max(1, Math.min(16, options.threads ?? availableParallelism()));
    const plane = new NodeDataPlane(threads, options);
    await Promise.all(Array.from({ length: threads - 1 }, () => plane.spawn()));
    return plane;
  }

  apply(config: ProxyConfig): Promise<void> {
    if (this.closed) return Promise.reject(dataPlaneClosed(this.driver));
    const listeners = normalizeConfig(config);
    const run = this.serial.then(() => this.applyNow(listeners));
    this.serial = run.catch(() => undefined);
    return run;
  }

  bound(listener: string): BoundAddress | undefined {
    const l = this.listeners.find((x) => x.name === listener);
    const port = this.ports.get(listener);
    return l === undefined || port === undefined ? undefined : { address: l.address, port };
  }

  async stats(): Promise<ListenerStats[]> {
    const snapshots = [
      this.engine.snapshot(),
      ...(await Promise.all(this.workers.map((w) => this.ask(w, { type: 'stats' })))),
    ];
    const cells = new Int32Array(this.cells);
    return mergeSnapshots(this.listeners, snapshots as ThreadSnapshot[], {
      driver: this.driver,
      port: (name) => this.ports.get(name) ?? 0,
      active: (name, id) => {
        const slot = this.slots.get(name)?.[id];
        return slot === undefined ? 0 : Atomics.load(cells, slot);
      },
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.serial;
    this.checker.close();
    await Promise.all([
      this.engine.close(),
      ...this.workers.map(async (w) => {
        await this.ask(w, { type: 'close' }).catch(() => undefined);
        await w.worker.terminate();
      }),
    ]);
  }

  private async applyNow(listeners: Listener[]): Promise<void> {
    if (this.failure !== undefined) throw dataPlaneFailed(this.driver, this.failure);
    const fresh: Binding[] = [];
    const next = new Map<string, Binding>();
    try {
      for (const l of listeners) {
        if (l.protocol === 'udp') continue;
        const key = `${l.protocol} ${l.address} ${l.port}`;
        let b = this.bindings.get(l.name);
        if (b === undefined || b.key !== key) {
          b = { key, ...(await bindShared(l.name, l.address, l.port, this.threads)) };
          fresh.push(b);
        }
        next.set(l.name, b);
      }
    } catch (err) {
      for (const b of fresh) {
        releaseFds(b.fds);
        for (const s of b.early ?? []) s.destroy();
      }
      throw err;
    }
    const keep = new Set<string>();
    const perThread: ThreadListener[][] = Array.from({ length: this.threads }, () => []);
    for (const l of listeners) {
      const slots = this.allocator.assign(
        l.name,
        l.endpoints.map((e) => e.id),
      );
      for (const id of Object.keys(slots)) keep.add(`${l.name}\u0000${id}`);
      this.slots.set(l.name, slots);
      const b = next.get(l.name);
      const listener = b === undefined ? l : { ...l, port: b.port };
      perThread.forEach((list, i) => {
        if (b !== undefined) list.push({ listener, fd: b.fds[i] as number, slots });
        else if (i === 0) list.push({ listener, slots });
      });
    }
    const results = await Promise.allSettled([
      this.engine.apply(perThread[0] ?? []),
      ...this.workers.map((w, i) => this.ask(w, { type: 'apply', listeners: perThread[i + 1] ?? [] })),
    ]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      this.failure = String(failed.reason);
      throw dataPlaneFailed(this.driver, this.failure);
    }
    const mainPorts = (results[0] as PromiseFulfilledResult<Record<string, number>>).value;
    for (const b of fresh) {
      const name = [...next].find(([, x]) => x === b)?.[0];
      if (name !== undefined) this.engine.adopt(name, b.early ?? []);
      delete b.early;
    }
    this.bindings.clear();
    for (const [name, b] of next) this.bindings.set(name, b);
    this.ports.clear();
    for (const l of listeners)
      this.ports.set(l.name, next.get(l.name)?.port ?? mainPorts[l.name] ?? this.portOf(l));
    for (const name of this.slots.keys())
      if (!listeners.some((l) => l.name === name)) this.slots.delete(name);
    this.allocator.retainOnly(keep);
    this.listeners = listeners;
    this.checker.update(listeners);
  }

  private portOf(l: Listener): number {
    return this.ports.get(l.name) ?? l.port;
  }

  private spawn(): Promise<void> {
    const worker = new Worker(new URL('./worker-entry.js', import.meta.url), {
      workerData: {
        counts: this.cells,
        affinity: this.affinity,
        accessLogPath: this.options.accessLogPath,
        drainMs: this.options.drainMs ?? 30_000,
      },
      // A small young generation: a proxy's garbage dies young, and each MiB here is resident
      // memory per thread (the main thread's is set by the process's --max-semi-space-size).
      resourceLimits: { maxYoungGenerationSizeMb: this.options.youngGenerationMb ?? 4 },
    });
    const handle: WorkerHandle = { worker, pending: new Map() };
    this.workers.push(handle);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'eject') {
        this.engine.eject(m.listener, m.id, m.until);
        this.broadcast({ type: 'eject', listener: m.listener, id: m.id, until: m.until }, handle);
        return;
      }
      const p = handle.pending.get(m.seq);
      handle.pending.delete(m.seq);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
    worker.on('error', (err) => (this.failure ??= `a worker thread failed: ${err.message}`));
    worker.on('exit', () => {
      for (const p of handle.pending.values()) p.reject(new Error('the worker thread exited'));
      handle.pending.clear();
      if (!this.closed) this.failure ??= 'a worker thread exited';
    });
    return new Promise((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
  }

  private ask(w: WorkerHandle, message: DistributiveOmit<ToWorker, 'seq'>): Promise<unknown> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      w.pending.set(seq, { resolve, reject });
      w.worker.postMessage({ ...message, seq });
    });
  }

  private broadcast(message: ToWorker, except?: WorkerHandle): void {
    for (const w of this.workers) if (w !== except) w.worker.postMessage(message);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
