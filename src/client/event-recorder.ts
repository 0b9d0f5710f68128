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
  /** Event writes in flight at most, so Events never crowd out the writes they describe; default 8. */
  concurrency?: number;
  /** Events waiting beyond this many are dropped, oldest first (client-go drops too); default 10,000. */
  maxBacklog?: number;
}

interface Queued {
  object: KubeObject;
  type: EventType;
  reason: string;
  message: string;
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
 * existing Event instead of creating another. Writing is best effort and asynchronous, so a
 * reconcile never fails or waits because of an Event; `close()` waits for writes in flight.
 */
export class EventRecorder {
  private readonly client: KubeClient;
  private readonly options: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly seen = new Map<string, Seen>();
  private readonly backlog: Queued[] = [];
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
    this.backlog.push({ object, type, reason, message });
    if (this.backlog.length > (this.options.maxBacklog ?? 10_000)) {
      this.backlog.shift();
      this.dropped++;
    }
    while (this.running < (this.options.concurrency ?? 8) && this.backlog.length > 0) {
      this.running++;
      void this.drain();
    }
  }

  /** Resolves once every Event recorded so far has been written (or failed). */
  flush(): Promise<void> {
    if (this.running === 0 && this.backlog.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async drain(): Promise<void> {
    for (let next = this.backlog.shift(); next; next = this.backlog.shift()) {
      try {
        await this.write(next.object, next.type, next.reason, next.message);
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

  private async write(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = object.metadata;
    const namespace = meta.namespace || 'default';
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const key = [meta.uid ?? '', object.kind ?? '', namespace, meta.name ?? '', type, reason, message].join(
      '\0',
    );
    const prior = this.seen.get(key);
    if (prior) {
      prior.count++;
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
      count: 1,
    };
    await this.client.create('events', event, { namespace });
    if (this.seen.size >= MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, { name, namespace, count: 1, firstTimestamp: now });
  }
}
