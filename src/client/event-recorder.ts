import type { KubeClient } from './kube-client.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { KubeObject } from '../common/kube-object.js';

/** Normal or Warning, as Kubernetes types Events. */
export type EventType = 'Normal' | 'Warning';

/** Options of an EventRecorder; every field but `component` has a default. */
export interface EventRecorderOptions {
  /** `source.component`: `deployment-controller`, `default-scheduler`, … */
  component: string;
  /** `source.host`; default none. */
  host?: string;
  clock?: Clock;
  /** Called when writing an Event fails (Events are best effort); default: ignored. */
  onError?: (err: unknown) => void;
  /**
   * Event writes in flight at most, so Events never crowd out the writes they describe; enough
   * that they share the store's group commits instead of paying an fsync per few. Default 32.
   */
  concurrency?: number;
  /**
   * Events waiting beyond this many are dropped (client-go drops too): the oldest Normal one
   * first, a Warning only when nothing but Warnings waits; default 10,000.
   */
  maxBacklog?: number;
}

interface Queued {
  key: string;
  object: KubeObject;
  type: EventType;
  reason: string;
  message: string;
  /** Occurrences folded into this entry while it waited. */
  count: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

const MAX_REMEMBERED = 4096;

/**
 * Writes core/v1 Events for the decisions a controller makes, as client-go's recorder does: one
 * Event per (object, type, reason, message); a repeat bumps `count` and `lastTimestamp` of the
 * existing Event instead of creating another, and repeats that arrive while the first still
 * waits are folded into it. Writing is best effort, asynchronous and bounded (a few writers, a
 * capped backlog that sheds Normal Events before Warnings), so a reconcile or a binding never
 * fails or waits because of an Event; `flush()` and `close()` wait until everything recorded so
 * far is written.
 */
export class EventRecorder {
  private readonly client: KubeClient;
  private readonly options: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly seen = new Map<string, Seen>();
  private readonly backlog: Queued[] = [];
  /** Waiting entries by key, so a repeat is folded into the waiting one. */
  private readonly waiting = new Map<string, Queued>();
  private running = 0;
  private idle: Array<() => void> = [];
  /** Events dropped because the backlog was full. */
  dropped = 0;

  constructor(client: KubeClient, options: EventRecorderOptions) {
    this.client = client;
    this.options = options;
    this.clock = options.clock ?? systemClock;
  }

  /** Records an Event about `object` (queued; written by a few writers in the background). */
  event(object: KubeObject, type: EventType, reason: string, message: string): void {
    const meta = object.metadata;
    const key = [
      meta.uid ?? '',
      object.kind ?? '',
      meta.namespace || 'default',
      meta.name ?? '',
      type,
      reason,
      message,
    ].join('\0');
    const queued = this.waiting.get(key);
    if (queued) {
      queued.count++;
      return;
    }
    const entry = { key, object, type, reason, message, count: 1 };
    this.backlog.push(entry);
    this.waiting.set(key, entry);
    if (this.backlog.length > (this.options.maxBacklog ?? 10_000)) this.shed();
    while (this.running < (this.options.concurrency ?? 32) && this.backlog.length > 0) {
      this.running++;
      void this.drain();
    }
  }

  /** Drops one waiting entry: the oldest Normal one, or the oldest Warning when only those wait. */
  private shed(): void {
    let i = this.backlog.findIndex((q) => q.type === 'Normal');
    if (i < 0) i = 0;
    const [gone] = this.backlog.splice(i, 1);
    if (gone) this.waiting.delete(gone.key);
    this.dropped++;
  }

  /** Resolves once every Event recorded so far has been written (or failed). */
  flush(): Promise<void> {
    if (this.running === 0 && this.backlog.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async drain(): Promise<void> {
    for (let next = this.backlog.shift(); next; next = this.backlog.shift()) {
      this.waiting.delete(next.key);
      try {
        await this.write(next);
      } catch (err) {
        this.options.onError?.(err);
      }
    }
    this.running--;
    if (this.running === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Waits for writes in flight. */
  async close(): Promise<void> {
    await this.flush();
  }

  private async write(entry: Queued): Promise<void> {
    const { object, type, reason, message, key } = entry;
    const meta = object.metadata;
    const namespace = meta.namespace || 'default';
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const prior = this.seen.get(key);
    if (prior) {
      prior.count += entry.count;
      try {
        await this.client.patch(
          'events',
          prior.name,
          { count: prior.count, lastTimestamp: now },
          { namespace: prior.namespace },
        );
        return;
      } catch {
        // The Event expired or was deleted: create a fresh one below.
      }
    }
    const name = `${meta.name ?? 'object'}.${(this.clock.now() * 1000 + Math.floor(Math.random() * 1000)).toString(16)}`;
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: object.apiVersion ?? 'v1',
        kind: object.kind ?? '',
        name: meta.name ?? '',
        namespace: meta.namespace ?? '',
        uid: meta.uid ?? '',
        resourceVersion: meta.resourceVersion ?? '',
      },
      type,
      reason,
      message,
      source: {
        component: this.options.component,
        ...(this.options.host ? { host: this.options.host } : {}),
      },
      reportingComponent: this.options.component,
      reportingInstance: this.options.host ?? '',
      firstTimestamp: now,
      lastTimestamp: now,
      count: entry.count,
    };
    await this.client.create('events', event, { namespace });
    if (this.seen.size >= MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, { name, namespace, count: entry.count, firstTimestamp: now });
  }
}
