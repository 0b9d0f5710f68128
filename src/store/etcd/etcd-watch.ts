import { revisionCompacted, storeUnavailable } from '../errors.js';
import type { Change } from '../watch-filter.js';
import type { Watcher } from '../store.js';
import type { EtcdClient, WatchEventMessage, WatchResponse, WatchStream } from './etcd-client.js';

/** Delay before a watch whose member went away reopens on the next one. */
const RECONNECT_MS = 250;

/** How often a progress request is repeated while callers wait for one (etcd may defer it). */
const PROGRESS_REPEAT_MS = 500;

/** What an EtcdWatch needs from its store. */
export interface EtcdWatchSource {
  client: EtcdClient;
  key: Buffer;
  rangeEnd: Buffer;
  /** Namespace and name of a key of the watched range. */
  parse(key: Buffer): { namespace: string; name: string };
  /** The store's latest revision (a linearizable read). */
  currentRevision(): Promise<number>;
}

/**
 * One store watch on an etcd Watch stream of its own: a range of keys from a start revision,
 * with previous values (for selector transitions). Events become `Change`s, run through the
 * watch's filter, and are delivered in order, asynchronously. When the member serving the stream
 * goes away, the watch reopens on the next member from the last revision it saw, so nothing is
 * missed or repeated. `progress()` uses etcd's progress requests: a progress response's header
 * revision tells that every event at or below it has been sent on this stream.
 */
export class EtcdWatch<E extends { revision: number }> implements Watcher {
  /** Highest revision whose events (if any) have arrived on the stream. */
  private seen: number;
  private stream: WatchStream | undefined;
  private readonly queue: E[] = [];
  private scheduled = false;
  private closed = false;
  private waiters: Array<{ revision: number; resolve: (revision: number) => void }> = [];
  private created: ((err?: Error) => void) | undefined;
  /** Streams lost before etcd created the watch: after one per member, start() fails. */
  private failedStarts = 0;
  private timer: NodeJS.Timeout | undefined;
  private repeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: EtcdWatchSource,
    fromRevision: number,
    private readonly filter: (change: Change) => E | undefined,
    private readonly onEvent: (event: E) => void,
    private readonly onEnd: (watch: EtcdWatch<E>) => void,
  ) {
    this.seen = fromRevision;
  }

  /** Opens the stream; resolves once etcd has created the watch. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.created = (err) => (err ? reject(err) : resolve());
      this.open();
    });
  }

  async progress(): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    const revision = await this.source.currentRevision();
    if (this.closed || (this.seen >= revision && this.queue.length === 0)) return revision;
    const done = new Promise<number>((resolve) => this.waiters.push({ revision, resolve }));
    this.requestProgress();
    return done;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.queue.length = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.repeat !== undefined) clearInterval(this.repeat);
    this.stream?.cancel();
    this.stream = undefined;
    this.settle(Infinity);
    this.onEnd(this);
    return Promise.resolve();
  }

  private open(): void {
    const stream = this.source.client.watchStream();
    this.stream = stream;
    stream.on('data', (res: WatchResponse) => this.onResponse(res));
    stream.on('error', () => this.lost(stream));
    stream.on('end', () => this.lost(stream));
    stream.write({
      create_request: {
        key: this.source.key,
        range_end: this.source.rangeEnd,
        start_revision: this.seen + 1,
        prev_kv: true,
        progress_notify: true,
      },
    });
  }

  /** The stream failed or ended: reopen on the next member from where it stopped. */
  private lost(stream: WatchStream): void {
    if (this.closed || this.stream !== stream) return;
    this.stream = undefined;
    stream.cancel();
    this.source.client.failover();
    if (this.created !== undefined && ++this.failedStarts >= this.source.client.addresses.length) {
      const members = this.source.client.addresses.join(', ');
      return this.finishCreate(storeUnavailable(`etcd did not answer a watch (${members})`));
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.open();
    }, RECONNECT_MS);
  }

  private onResponse(res: WatchResponse): void {
    if (this.closed) return;
    if (res.canceled) {
      const err =
        res.compact_revision > 0
          ? revisionCompacted(this.seen, res.compact_revision)
          : storeUnavailable(`etcd ended a watch: ${res.cancel_reason || 'canceled'}`);
      if (this.created !== undefined) return this.finishCreate(err);
      // A live watch etcd cancels (compacted while it was reconnecting) ends here; its owner
      // sees no more events (the watch cache then serves what it has).
      process.emitWarning(`etcd ended a watch: ${err.message}`, 'StratusStoreWarning');
      void this.close();
      return;
    }
    if (res.created) {
      this.finishCreate();
      if (this.waiters.length > 0) this.requestProgress();
      return;
    }
    for (const ev of res.events) {
      const change = toChange(ev, this.source.parse(ev.kv.key));
      const event = this.filter(change);
      if (event !== undefined) this.queue.push(event);
      this.seen = Math.max(this.seen, change.revision);
    }
    // A response without events is a progress notification: every event up to its header's
    // revision has been sent before it. (An event batch's header may run ahead of its events
    // when etcd splits a long catch-up, so only the events count there.)
    if (res.events.length === 0) this.seen = Math.max(this.seen, res.header.revision);
    this.schedule();
  }

  private finishCreate(err?: Error): void {
    const created = this.created;
    this.created = undefined;
    if (err !== undefined) {
      this.closed = true;
      this.stream?.cancel();
      this.onEnd(this);
    }
    created?.(err);
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.queue.length);
    for (const event of batch) {
      if (this.closed) return;
      try {
        this.onEvent(event);
      } catch (err) {
        process.emitWarning(`a store watch callback threw: ${String(err)}`, 'StratusStoreWarning');
      }
    }
    if (this.queue.length > 0) this.schedule();
    else this.settle(this.seen);
  }

  /** Sends a progress request, and repeats it while anyone waits for progress. */
  private requestProgress(): void {
    this.stream?.write({ progress_request: {} });
    this.repeat ??= setInterval(() => this.stream?.write({ progress_request: {} }), PROGRESS_REPEAT_MS);
  }

  private settle(delivered: number): void {
    if (this.waiters.length === 0) return;
    const due = this.waiters.filter((w) => w.revision <= delivered);
    this.waiters = this.waiters.filter((w) => w.revision > delivered);
    for (const w of due) w.resolve(w.revision);
    if (this.waiters.length === 0 && this.repeat !== undefined) {
      clearInterval(this.repeat);
      this.repeat = undefined;
    }
  }
}

/** An etcd watch event as the store's `Change`: created when its create and mod revisions agree. */
function toChange(ev: WatchEventMessage, key: { namespace: string; name: string }): Change {
  const revision = ev.kv.mod_revision;
  const prev = ev.prev_kv !== null && ev.prev_kv.mod_revision > 0 ? ev.prev_kv.value.toString('utf8') : null;
  if (ev.type === 'DELETE') {
    return { revision, type: 'delete', ...key, value: prev ?? '{"metadata":{}}', prev: null };
  }
  const type = ev.kv.create_revision === ev.kv.mod_revision ? 'create' : 'update';
  return {
    revision,
    type,
    ...key,
    value: ev.kv.value.toString('utf8'),
    prev: type === 'update' ? prev : null,
  };
}
