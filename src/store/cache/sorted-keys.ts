/**
 * A Map whose keys can also be read in sorted order (JavaScript's string order, which is
 * SQLite's for the ASCII names Kubernetes allows). The order is rebuilt lazily on a read after
 * changes, by merging the keys added since (sorted alone) into the previous order and dropping
 * those removed: O(n + k log k) for k changes, where re-sorting would be O(n log n) and keeping
 * it sorted on every insert would cost every write a memmove of the whole array.
 */
export class SortedKeys<V> {
  private readonly map = new Map<string, V>();
  private order: string[] = [];
  private added: string[] = [];
  private removed = 0;

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: V): void {
    if (!this.map.has(key)) this.added.push(key);
    this.map.set(key, value);
  }

  delete(key: string): boolean {
    if (!this.map.delete(key)) return false;
    this.removed++;
    return true;
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  /** The keys in sorted order. The array is shared until the next change: never modify it. */
  sorted(): readonly string[] {
    if (this.added.length === 0 && this.removed === 0) return this.order;
    const added = this.added.sort();
    const old = this.order;
    const out: string[] = [];
    let i = 0;
    let j = 0;
    while (i < old.length || j < added.length) {
      const a = old[i];
      const b = added[j];
      let next: string;
      if (b === undefined || (a !== undefined && a <= b)) {
        next = a as string;
        i++;
      } else {
        next = b;
        j++;
      }
      // A key removed and added again is in both lists; a removed one is in the map no more.
      if (next !== out[out.length - 1] && this.map.has(next)) out.push(next);
    }
    this.order = out;
    this.added = [];
    this.removed = 0;
    return out;
  }
}

/** The index of the first key in `sorted` greater than `key` (binary search). */
export function firstAfter(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
