import type { Watcher } from '../store.js';
import type { CacheEvent } from './cache-event.js';
import type { EntryMatcher } from './entry-matcher.js';

/**
 * One watch served by the watch cache. The cache offers it every change of its resource in
 * revision order (first the history it resumes from, then live changes, in one synchronous step,
 * so none is missed or seen twice); it keeps those its selection sees, turning an object's entry
 * into or exit from a selector's scope into ADDED or DELETED as Kubernetes' watch cache does, and
 * delivers them on a later event-loop turn, so a slow consumer never holds up the cache.
 */
export class CacheWatcher implements Watcher {
  private cursor: number;
  private readonly queue: CacheEvent[] = [];
  private scheduled = false;
  private closed = false;
  private waiters: Array<{ revision: number; resolve: (revision: number) => void }> = [];

  constructor(
    readonly matcher: EntryMatcher,
    fromRevision: number,
    private readonly onEvent: (event: CacheEvent) => void,
    private readonly sync: () => Promise<number>,
    private readonly onClose: (watcher: CacheWatcher) => void,
  ) {
    this.cursor = fromRevision;
  }

  /** Called by the cache with each change, in revision order. */
  offer(change: CacheEvent): void {
    if (this.closed || change.revision <= this.cursor) return;
    this.cursor = change.revision;
    const event = this.select(change);
    if (event === undefined) return;
    this.queue.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Resolves once every change committed before the call has been passed to the callback. */
  async progress(): Promise<number> {
    if (this.closed) return 0;
    const revision = await this.sync();
    const first = this.queue[0];
    if (this.closed || first === undefined || first.revision > revision) return revision;
    return new Promise((resolve) => this.waiters.push({ revision, resolve }));
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.queue.length = 0;
    this.onClose(this);
    for (const w of this.waiters.splice(0)) w.resolve(w.revision);
    return Promise.resolve();
  }

  private select(change: CacheEvent): CacheEvent | undefined {
    const m = this.matcher;
    if (m.namespace !== '' && change.entry.namespace !== m.namespace) return undefined;
    if (!m.selective) return change;
    if (change.type !== 'MODIFIED') return m.matches(change.entry) ? change : undefined;
    const now = m.matches(change.entry);
    const was = change.prev !== undefined && m.matches(change.prev);
    if (now) return was ? change : change.asEntering();
    return was ? change.asLeaving() : undefined;
  }

  private drain(): void {
    this.scheduled = false;
    // Deliver what is queued now; events the callbacks cause wait for the next turn.
    const batch = this.queue.splice(0, this.queue.length);
    for (const event of batch) {
      if (this.closed) return;
      try {
        this.onEvent(event);
      } catch (err) {
        process.emitWarning(`a watch cache callback threw: ${String(err)}`, 'StratusStoreWarning');
      }
    }
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
    const first = this.queue[0];
    const delivered = first === undefined ? Infinity : first.revision - 1;
    if (this.waiters.length === 0) return;
    const due = this.waiters.filter((w) => w.revision <= delivered);
    this.waiters = this.waiters.filter((w) => w.revision > delivered);
    for (const w of due) w.resolve(w.revision);
  }
}

/**
 * The watchers of one resource. Those with an `=` requirement on an indexed field (an agent's
 * `spec.nodeName=NODE`) are filed under its value, so a change is offered only to the watchers
 * of its old and new values plus the unindexed ones, not to every agent.
 */
export class WatcherSet {
  private readonly general = new Set<CacheWatcher>();
  private readonly byValue = new Map<string, Set<CacheWatcher>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(w: CacheWatcher): void {
    this.count++;
    const indexed = w.matcher.indexed;
    if (indexed === undefined) {
      this.general.add(w);
      return;
    }
    const key = `${indexed.position}=${indexed.value}`;
    let set = this.byValue.get(key);
    if (set === undefined) {
      set = new Set();
      this.byValue.set(key, set);
    }
    set.add(w);
  }

  delete(w: CacheWatcher): void {
    const indexed = w.matcher.indexed;
    const key = indexed === undefined ? undefined : `${indexed.position}=${indexed.value}`;
    const set = key === undefined ? this.general : this.byValue.get(key);
    if (set === undefined || !set.delete(w)) return;
    this.count--;
    if (key !== undefined && set.size === 0) this.byValue.delete(key);
  }

  /** Every watcher. */
  all(): CacheWatcher[] {
    return [...this.general, ...[...this.byValue.values()].flatMap((s) => [...s])];
  }

  /** Offers a change to every watcher it may concern. */
  offer(change: CacheEvent): void {
    for (const w of this.general) w.offer(change);
    if (this.byValue.size === 0) return;
    const seen = new Set<Set<CacheWatcher>>();
    for (const entry of change.prev === undefined ? [change.entry] : [change.entry, change.prev]) {
      entry.fields.forEach((value, position) => {
        const set = this.byValue.get(`${position}=${value}`);
        if (set === undefined || seen.has(set)) return;
        seen.add(set);
        for (const w of set) w.offer(change);
      });
    }
  }
}
