import type { Change } from './watch-filter.js';
import type { WatchEvent, Watcher } from './store.js';

/** How many history rows a replaying watch reads per event-loop turn. */
const REPLAY_CHUNK = 500;

/** Reads history rows of one resource after a revision, oldest first, at most `limit`. */
export type HistoryReader = (after: number, limit: number) => Change[];

/**
 * One watch on a SqliteStore. It first replays history from the database in chunks (one chunk
 * per event-loop turn, so a long replay never blocks writers), then switches to live changes
 * pushed by the store after each commit. The switch happens in the same synchronous step as the
 * last history read, and commits are synchronous too, so no change is missed or seen twice.
 * Delivery is always asynchronous: the store only appends to a queue; the callback runs later.
 */
export class SqliteWatch implements Watcher {
  /** The last revision read from history or queued live; changes at or below it are not wanted. */
  cursor: number;
  /** False while replaying history; true once live changes are pushed to it. */
  live = false;
  private readonly queue: WatchEvent[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    fromRevision: number,
    private readonly readHistory: HistoryReader,
    private readonly filter: (change: Change) => WatchEvent | undefined,
    private readonly onEvent: (event: WatchEvent) => void,
    private readonly onClose: (watch: SqliteWatch) => void,
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.onClose(this);
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
    for (const event of batch) {
      if (this.closed) return;
      try {
        this.onEvent(event);
      } catch (err) {
        process.emitWarning(`a store watch callback threw: ${String(err)}`, 'StratusStoreWarning');
      }
    }
    if (!this.live || this.queue.length > 0) this.schedule();
  }
}
