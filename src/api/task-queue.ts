/** Options of a TaskQueue; every field has a default. */
export interface TaskQueueOptions {
  /** Tasks run at once; default 16 (concurrent store writes share one group commit). */
  concurrency?: number;
  /** First retry delay after a failure; default 50 ms, doubled per failure in a row. */
  baseDelayMs?: number;
  /** Longest retry delay; default 5 000 ms. */
  maxDelayMs?: number;
  /** Told of every failure (the task is retried after its back-off). */
  onError?: (key: string, err: unknown) => void;
}

/**
 * The garbage collector's work queue: tasks are named by keys, a key is queued at most once, a
 * key added while its task runs runs again afterwards (so no change is missed), at most
 * `concurrency` tasks run at once, and a failed task is retried after an exponential back-off
 * per key. Processing order is first queued, first run.
 */
export class TaskQueue {
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  /** Queued keys in insertion order (a Set is both the queue and its de-duplication). */
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly run: (key: string) => Promise<void>,
    private readonly options: TaskQueueOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 16);
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
  }

  /** Keys queued, running or waiting for a retry. */
  get size(): number {
    return this.queued.size + this.running.size + this.delayed.size;
  }

  /** Queues a task now (a pending retry of the same key is brought forward). */
  add(key: string): void {
    if (this.closed) return;
    const timer = this.delayed.get(key);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.delayed.delete(key);
    }
    if (this.running.has(key)) this.dirty.add(key);
    else this.queued.add(key);
    this.pump();
  }

  /** Resolves once nothing is queued, running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops queued tasks and retries, and waits for running ones to end. */
  async close(): Promise<void> {
    this.closed = true;
    this.queued.clear();
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    await Promise.allSettled([...this.inflight]);
    this.settleIdle();
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.concurrency && this.queued.size > 0) {
      const key = this.queued.values().next().value as string;
      this.queued.delete(key);
      this.start(key);
    }
    this.settleIdle();
  }

  private start(key: string): void {
    this.running.add(key);
    const p = this.run(key).then(
      () => {
        this.failures.delete(key);
      },
      (err: unknown) => this.retryLater(key, err),
    );
    this.inflight.add(p);
    void p.finally(() => {
      this.inflight.delete(p);
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      else this.pump();
    });
  }

  private retryLater(key: string, err: unknown): void {
    if (this.closed) return;
    this.options.onError?.(key, err);
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (failures - 1));
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delay);
    this.delayed.set(key, timer);
  }

  private settleIdle(): void {
    if (this.size > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
