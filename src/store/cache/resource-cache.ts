import type { WatchEventType } from '../store.js';
import type { CacheEntry } from './cache-entry.js';
import { CacheEvent } from './cache-event.js';
import { CacheHistory } from './cache-history.js';
import { SortedKeys } from './sorted-keys.js';

/**
 * What the watch cache holds of one resource: the current version of every object (by
 * namespace, then name, each readable in sorted order), an index per indexed field path (value →
 * entries), and the history of recent changes. `revision` is the store revision the state is
 * known to reflect; `windowStart` the oldest revision a watch or a snapshot can start from
 * (every change after it is in the history).
 */
export class ResourceCache {
  revision = 0;
  windowStart = 0;
  readonly history: CacheHistory;
  private readonly spaces = new SortedKeys<SortedKeys<CacheEntry>>();
  private readonly indexes: Array<Map<string, Set<CacheEntry>>>;
  private count = 0;

  constructor(
    readonly resource: string,
    readonly indexPaths: readonly string[],
    historySize: number,
  ) {
    this.history = new CacheHistory(historySize);
    this.indexes = indexPaths.map(() => new Map<string, Set<CacheEntry>>());
  }

  /** Objects held. */
  get size(): number {
    return this.count;
  }

  get(namespace: string, name: string): CacheEntry | undefined {
    return this.spaces.get(namespace)?.get(name);
  }

  /** The namespaces holding objects, sorted. */
  namespaces(): readonly string[] {
    return this.spaces.sorted();
  }

  /** The names in a namespace, sorted. */
  names(namespace: string): readonly string[] {
    return this.spaces.get(namespace)?.sorted() ?? [];
  }

  /** Objects in a namespace. */
  countIn(namespace: string): number {
    return this.spaces.get(namespace)?.size ?? 0;
  }

  /** The current entries whose indexed field at `position` equals `value`. */
  indexed(position: number, value: string): ReadonlySet<CacheEntry> {
    return this.indexes[position]?.get(value) ?? EMPTY;
  }

  /** Every current entry, in no particular order. */
  *entries(): IterableIterator<CacheEntry> {
    for (const space of this.spaces.values()) yield* space.values();
  }

  /**
   * Applies a change the store reported: `entry` is the new version, or undefined for a deletion.
   * A change no newer than what is held (replayed while the cache was loading) is ignored.
   * Returns the event, or undefined when ignored. It is not recorded in the history (`record`).
   */
  apply(
    type: WatchEventType,
    revision: number,
    key: { namespace: string; name: string },
    entry: CacheEntry | undefined,
  ): CacheEvent | undefined {
    if (revision > this.revision) this.revision = revision;
    const prev = this.get(key.namespace, key.name);
    if (prev !== undefined && prev.revision >= revision) return undefined;
    if (entry === undefined || type === 'DELETED') {
      if (prev === undefined) return undefined;
      this.remove(prev);
      return new CacheEvent('DELETED', revision, prev, prev);
    }
    this.put(entry, prev);
    return new CacheEvent(prev === undefined ? 'ADDED' : 'MODIFIED', revision, entry, prev);
  }

  /** Adds an event to the history; the window moves past what the full ring pushes out. */
  record(event: CacheEvent): void {
    const evicted = this.history.push(event);
    if (evicted !== undefined && evicted.revision > this.windowStart) this.windowStart = evicted.revision;
  }

  /** Forgets history at and before `revision`: watches and snapshots from there go elsewhere. */
  compact(revision: number): void {
    if (revision <= this.windowStart) return;
    this.windowStart = revision;
    this.history.dropThrough(revision);
  }

  /** Starts the history afresh at the current revision (after loading). */
  openWindow(): void {
    this.history.clear();
    this.windowStart = this.revision;
  }

  private put(entry: CacheEntry, prev: CacheEntry | undefined): void {
    let space = this.spaces.get(entry.namespace);
    if (space === undefined) {
      space = new SortedKeys<CacheEntry>();
      this.spaces.set(entry.namespace, space);
    }
    space.set(entry.name, entry);
    if (prev === undefined) this.count++;
    this.indexes.forEach((index, i) => {
      if (prev !== undefined) unindex(index, prev.fields[i] ?? '', prev);
      const value = entry.fields[i] ?? '';
      let set = index.get(value);
      if (set === undefined) {
        set = new Set();
        index.set(value, set);
      }
      set.add(entry);
    });
  }

  private remove(prev: CacheEntry): void {
    const space = this.spaces.get(prev.namespace);
    if (space === undefined || !space.delete(prev.name)) return;
    if (space.size === 0) this.spaces.delete(prev.namespace);
    this.count--;
    this.indexes.forEach((index, i) => unindex(index, prev.fields[i] ?? '', prev));
  }
}

const EMPTY: ReadonlySet<CacheEntry> = new Set();

function unindex(index: Map<string, Set<CacheEntry>>, value: string, entry: CacheEntry): void {
  const set = index.get(value);
  if (set === undefined) return;
  set.delete(entry);
  if (set.size === 0) index.delete(value);
}
