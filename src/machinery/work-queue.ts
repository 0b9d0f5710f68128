import { systemClock, type Clock } from '../common/clock.js';

/** Options of a WorkQueue; every field has a default. */
export interface WorkQueueOptions {
  /** Time source of delayed requeues; default the system clock. */
  clock?: Clock;
  /** First back-off delay after a failure; default 5 ms (as client-go's item rate limiter). */
  baseDelayMs?: number;
  /** Longest back-off delay; default 60 s. */
  maxDelayMs?: number;
}

interface Delayed<K> {
  key: K;
  readyAt: number;
}

/**
 * The de-duplicating work queue of client-go: a key is queued at most once, a key being
 * processed is not handed to a second worker (if it is added meanwhile it is queued again when
 * `done` is called), and failures are requeued after an exponential back-off per key
 * (`addRateLimited`, reset by `forget`). Delays are measured on a Clock; a real timer promotes
 * due keys, and tests that move a ManualClock call `promoteDue()` themselves.
 */
export class WorkQueue<K = string> {
  private readonly clock: Clock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly queue: K[] = [];
  private readonly queued = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly dirty = new Set<K>();
  private readonly failures = new Map<K, number>();
  private delayed: Delayed<K>[] = [];
  private readonly waiters: Array<(key: K | undefined) => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
  }

  /** Keys waiting to be processed now (not counting delayed or in-flight ones). */
  get length(): number {
    return this.queue.length;
  }

  /** Keys waiting for their delay to pass. */
  get delayedCount(): number {
    return this.delayed.length;
  }

  /** Called for each key newly added (not for one already waiting), as client-go's adds metric. */
  onAdd: (() => void) | undefined;

  /** Queues a key unless it is already queued; a key in flight is queued again on `done`. */
  add(key: K): void {
    if (this.closed) return;
    if (this.processing.has(key)) {
      if (!this.dirty.has(key)) this.onAdd?.();
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.onAdd?.();
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Queues a key once `delayMs` has passed on the clock (an earlier pending delay wins). */
  addAfter(key: K, delayMs: number): void {
    if (this.closed) return;
    if (delayMs <= 0) return this.add(key);
    const readyAt = this.clock.now() + delayMs;
    const existing = this.delayed.find((d) => d.key === key);
    if (existing) {
      existing.readyAt = Math.min(existing.readyAt, readyAt);
    } else {
      this.delayed.push({ key, readyAt });
    }
    this.arm();
  }

  /** Requeues a key after its back-off: base · 2^(failures), capped at maxDelayMs. */
  addRateLimited(key: K): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, this.backoff(n));
  }

  /** The delay the next `addRateLimited(key)` would use. */
  nextDelay(key: K): number {
    return this.backoff(this.failures.get(key) ?? 0);
  }

  /** Forgets a key's failures, so its next failure starts from the base delay again. */
  forget(key: K): void {
    this.failures.delete(key);
  }

  /** How many times a key failed since it was last forgotten. */
  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * The next key to process, waiting for one; `undefined` once the queue is closed. The caller
   * must call `done(key)` when finished.
   */
  get(): Promise<K | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks a key finished; if it was added while in flight it is queued again. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Moves every delayed key whose time has come into the queue. */
  promoteDue(): void {
    const now = this.clock.now();
    const due = this.delayed.filter((d) => d.readyAt <= now);
    if (due.length === 0) return;
    this.delayed = this.delayed.filter((d) => d.readyAt > now);
    for (const d of due) this.add(d.key);
  }

  /** Stops handing out keys; pending `get()` calls resolve to undefined. */
  close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w(undefined);
    this.delayed = [];
    return Promise.resolve();
  }

  private backoff(failures: number): number {
    return Math.min(this.baseDelayMs * 2 ** Math.min(failures, 40), this.maxDelayMs);
  }

  private arm(): void {
    if (this.timer || this.delayed.length === 0) return;
    const now = this.clock.now();
    const next = Math.min(...this.delayed.map((d) => d.readyAt));
    // Bounded, so that a ManualClock that never moves does not strand the timer forever.
    const wait = Math.max(1, Math.min(next - now, 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.promoteDue();
      this.arm();
    }, wait);
    this.timer.unref();
  }
}
