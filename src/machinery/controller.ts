import { systemClock, type Clock } from '../common/clock.js';
import type { Informer } from './informer.js';
import { WorkQueue } from './work-queue.js';

/** Options of a Controller; every field has a default. */
export interface ControllerOptions {
  /** Time source of back-off and of the controller's own logic; default the system clock. */
  clock?: Clock;
  /** Keys reconciled at once (never the same key twice at once); default 1. */
  workers?: number;
  /** Called when a reconcile fails (the key is requeued with back-off); default: ignored. */
  onError?: (key: string, err: unknown) => void;
}

/**
 * What a controller reports of its queue (client-go's workqueue MetricsProvider, as
 * kube-controller-manager exposes it): `register` is called once per controller with its name
 * and a way to read the queue's depth, and returns what to call on each add and each reconcile.
 */
export interface WorkQueueMetricsProvider {
  register(name: string, depth: () => number): { added(): void; processed(seconds: number): void };
}

/**
 * The base of every level-triggered controller (kube-controller-manager's pattern): informers
 * feed a de-duplicating WorkQueue of `namespace/name` keys, and `workers` loops take one key at
 * a time and call `reconcile(key)`, which reads desired and observed state from the caches,
 * acts, and writes status. A reconcile that throws is requeued with exponential back-off; one
 * that succeeds resets the key's back-off. Subclasses register their informer handlers in
 * their constructor (handlers only enqueue), and `start()` waits for every informer to sync
 * before the workers begin.
 */
export abstract class Controller {
  /** The controller's name, as `--controllers` and Event sources spell it. */
  abstract readonly name: string;
  readonly queue: WorkQueue<string>;
  protected readonly clock: Clock;
  private readonly workerCount: number;
  private readonly onError: ((key: string, err: unknown) => void) | undefined;
  private workers: Promise<void>[] = [];
  private metrics: { added(): void; processed(seconds: number): void } | undefined;

  constructor(options: ControllerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.queue = new WorkQueue<string>({ clock: this.clock });
    this.workerCount = options.workers ?? 1;
    this.onError = options.onError;
  }

  /** Reconciles one key: make observed state match desired state. Throws to be retried. */
  abstract reconcile(key: string): Promise<void>;

  /** The informers that must sync before the workers start. */
  protected abstract informers(): Informer[];

  /** Queues a key for reconciliation. */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Reports the queue's depth, adds and reconcile durations to `provider` (call before `start`). */
  instrument(provider: WorkQueueMetricsProvider): void {
    const hooks = provider.register(this.name, () => this.queue.length);
    this.metrics = hooks;
    this.queue.onAdd = () => hooks.added();
  }

  /** Waits for the informers to sync, then starts the workers. */
  async start(options: { timeoutMs?: number } = {}): Promise<void> {
    await Promise.all(this.informers().map((i) => i.start(options)));
    for (let i = 0; i < this.workerCount; i++) this.workers.push(this.work());
  }

  /** Stops the workers (after the keys in flight finish). Informers are closed by their owner. */
  async close(): Promise<void> {
    await this.queue.close();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const began = this.metrics === undefined ? 0 : performance.now();
      try {
        await this.reconcile(key);
        this.queue.forget(key);
      } catch (err) {
        this.onError?.(key, err);
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
        this.metrics?.processed((performance.now() - began) / 1000);
      }
    }
  }
}
