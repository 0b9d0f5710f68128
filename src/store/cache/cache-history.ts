import type { CacheEvent } from './cache-event.js';

/** Slots a ring starts with; it doubles up to its capacity as changes come. */
const INITIAL_SLOTS = 64;

/**
 * The last changes of one resource, oldest first, in a ring of at most `capacity` changes: what
 * watches resume from and what list snapshots are rolled back with. Revisions only grow, so "the
 * changes after r" is a binary search. A quiet resource's ring stays small.
 */
export class CacheHistory {
  private ring: Array<CacheEvent | undefined>;
  private head = 0;
  private count = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.ring = new Array<CacheEvent | undefined>(Math.min(this.capacity, INITIAL_SLOTS)).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  /** Appends a change; returns the one pushed out when the ring was full. */
  push(event: CacheEvent): CacheEvent | undefined {
    if (this.count === this.ring.length && this.count < this.capacity) this.grow();
    const cap = this.ring.length;
    if (this.count < cap) {
      this.ring[(this.head + this.count) % cap] = event;
      this.count++;
      return undefined;
    }
    const evicted = this.ring[this.head];
    this.ring[this.head] = event;
    this.head = (this.head + 1) % cap;
    return evicted;
  }

  /** The changes with a revision greater than `after`, oldest first. */
  since(after: number): CacheEvent[] {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).revision <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: CacheEvent[] = [];
    for (let i = lo; i < this.count; i++) out.push(this.at(i));
    return out;
  }

  /** Forgets the changes at and before `revision`. */
  dropThrough(revision: number): void {
    while (this.count > 0 && this.at(0).revision <= revision) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
    }
  }

  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const next = new Array<CacheEvent | undefined>(Math.min(this.capacity, this.ring.length * 2)).fill(
      undefined,
    );
    for (let i = 0; i < this.count; i++) next[i] = this.at(i);
    this.ring = next;
    this.head = 0;
  }

  private at(i: number): CacheEvent {
    return this.ring[(this.head + i) % this.ring.length] as CacheEvent;
  }
}
