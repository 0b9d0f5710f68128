import type { Change } from './watch-filter.js';
import type { Watcher } from './store.js';

/** How many history rows a replaying watch reads per event-loop turn. */
const REPLAY_CHUNK = 500;

/** Reads history rows of one resource after a revision, oldest first, at most `limit`. */
export type HistoryReader = (after: number, limit: number) => Change[];

/** What the store sees of a watch, whatever it delivers. */
export interface StoreWatch extends Watcher {
  /** The last revision read from history or queued live. */
  readonly cursor: number;
  /** True once live changes are pushed to it. */
  readonly live: boolean;
  push(change: Change): void;
}

/**
 * One watch on a SqliteStore, delivering what `filter` makes of each change (events with parsed
 * objects for `watch`, the stored text for `watchStored`). It first replays history from the database in chunks (one chunk
 * per event-loop turn, so a long replay never blocks writers), then switches to live changes
 * pushed by the store after each commit. The switch happens in the same synchronous step as the
 * last history read, and commits are synchronous too, so no change is missed or seen twice.
 * Delivery is always asynchronous: the store only appends to a queue; the callback runs later.
 */
export class SqliteWatch<E extends { revision: number }> implements StoreWatch {
  /** The last revision read from history or queued live; changes at or below it are not wanted. */
  cursor: number;
  /** False while replaying history; true once live changes are pushed to it. */
  live = false;
  private readonly queue: E[] = [];
  private scheduled = false;
  private closed = false;
  private delivering = false;
  private progressWaiters: Array<{ revision: number; resolve: (revision: number) => void }> = [];

  constructor(
    fromRevision: number,
    private readonly storeRevision: () => number,
    private readonly readHistory: HistoryReader,
    private readonly filter: (change: Change) => E | undefined,
    private readonly onEvent: (event: E) => void,
    private readonly onClose: (watch: StoreWatch) => void,
  ) {
    this.cursor = fromRevision;
    this.schedule();
  }

  /** Called by the store after a commit, for changes of this watch's resource, in revision order. */
  push(change: Change): void {
    if (this.closed || !this.live || change.revision <= this.cursor) return;
    this.cursor = change.revision;
    const event = this.filter(change);
    if (event === undefined) return;
    this.queue.push(event);
    this.schedule();
  }

  /**
   * Changes are pushed into the queue in the commit itself, so once the watch is live and its
   * queue has been delivered, everything committed before this call has been seen.
   */
  progress(): Promise<number> {
    const revision = this.storeRevision();
    if (this.closed || (this.live && this.queue.length === 0)) return Promise.resolve(revision);
    return new Promise((resolve) => this.progressWaiters.push({ revision, resolve }));
  }

  /** The store's revision when nothing is queued or being delivered (see `Watcher.progressNow`). */
  progressNow(): number | undefined {
    if (this.closed) return this.storeRevision();
    return this.live && this.queue.length === 0 && !this.delivering ? this.storeRevision() : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.onClose(this);
    this.settleProgress(Infinity);
    return Promise.resolve();
  }

  /** True once close() has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    if (this.closed) return;
    if (!this.live) {
      const changes = this.readHistory(this.cursor, REPLAY_CHUNK);
      for (const change of changes) {
        this.cursor = change.revision;
        const event = this.filter(change);
        if (event !== undefined) this.queue.push(event);
      }
      if (changes.length < REPLAY_CHUNK) this.live = true;
    }
    // Deliver only what is queued now; events pushed by callbacks wait for the next turn.
    const batch = this.queue.splice(0, this.queue.length);
    this.delivering = true;
    try {
      for (const event of batch) {
        if (this.closed) return;
        try {
          this.onEvent(event);
        } catch (err) {
          process.emitWarning(`a store watch callback threw: ${String(err)}`, 'StratusStoreWarning');
        }
      }
    } finally {
      this.delivering = false;
    }
    if (!this.live || this.queue.length > 0) this.schedule();
    // Delivered so far: everything before the first event still queued (all of it once live
    // and empty), or the history read so far while replaying.
    const first = this.queue[0];
    this.settleProgress(first !== undefined ? first.revision - 1 : this.live ? Infinity : this.cursor);
  }

  /** Resolves the progress requests whose revision has been delivered up to `delivered`. */
  private settleProgress(delivered: number): void {
    if (this.progressWaiters.length === 0) return;
    const due = this.progressWaiters.filter((w) => w.revision <= delivered);
    this.progressWaiters = this.progressWaiters.filter((w) => w.revision > delivered);
    for (const w of due) w.resolve(w.revision);
  }
}
