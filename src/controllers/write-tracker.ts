import type { KubeObject } from '../common/kube-object.js';

/**
 * Remembers what a controller last wrote, so that it can tell when its informer cache has not
 * caught up yet (Kubernetes' EndpointSliceTracker): a pass that read such a cache would create
 * duplicates or write from stale objects. Writes are grouped (by Service); an entry is dropped
 * once the cache shows the write (resourceVersion at least the one written: they are the
 * store's global revision), or shows it gone when it was a deletion. Pure.
 */
export class WriteTracker {
  /** group → object key → resourceVersion written, or null for a deletion. */
  private readonly groups = new Map<string, Map<string, string | null>>();

  /** Records a create or update (the object the server returned). */
  wrote(group: string, key: string, object: KubeObject): void {
    this.entries(group).set(key, object.metadata.resourceVersion ?? '0');
  }

  /** Records a deletion. */
  deleted(group: string, key: string): void {
    this.entries(group).set(key, null);
  }

  /** Forgets an object the cache saw deleted (whoever deleted it). */
  gone(group: string, key: string): void {
    const entries = this.groups.get(group);
    if (entries?.get(key) !== null) entries?.delete(key);
  }

  /** Forgets a group (its owner is gone). */
  forget(group: string): void {
    this.groups.delete(group);
  }

  /** True while the cache (`lookup`) misses one of the group's writes; caught-up entries are dropped. */
  stale(group: string, lookup: (key: string) => KubeObject | undefined): boolean {
    const entries = this.groups.get(group);
    if (entries === undefined) return false;
    let stale = false;
    for (const [key, written] of entries) {
      const cached = lookup(key);
      const caughtUp =
        written === null
          ? cached === undefined
          : cached !== undefined && Number(cached.metadata.resourceVersion ?? 0) >= Number(written);
      if (caughtUp) entries.delete(key);
      else stale = true;
    }
    if (entries.size === 0) this.groups.delete(group);
    return stale;
  }

  private entries(group: string): Map<string, string | null> {
    let entries = this.groups.get(group);
    if (entries === undefined) this.groups.set(group, (entries = new Map<string, string | null>()));
    return entries;
  }
}
