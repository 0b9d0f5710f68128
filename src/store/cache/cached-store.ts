import type { KubeObject } from '../../common/kube-object.js';
import type { ListOptions, Store, WatchOptions, Watcher } from '../store.js';
import type { CacheEntry } from './cache-entry.js';
import type { CacheEvent } from './cache-event.js';
import type { ChangeListener } from './resource-feed.js';

/**
 * Which state a read is served from, as Kubernetes' `resourceVersion` and
 * `resourceVersionMatch` ask: `latest` (no resourceVersion) reflects every write acknowledged
 * before the read (a consistent read from the cache, as Kubernetes 1.31+ does it); `any` (`0`)
 * whatever the cache holds now; `notOlderThan` (a resourceVersion) at least that revision,
 * waiting for it if need be; `exact` (lists only) the state at exactly that revision.
 */
export type ReadAt =
  | { kind: 'latest' }
  | { kind: 'any' }
  | { kind: 'notOlderThan'; revision: number }
  | { kind: 'exact'; revision: number };

/** A list page from the cache: the entries (JSON text and all) and the revision it shows. */
export interface CachedList {
  items: CacheEntry[];
  revision: number;
  continue?: string;
  remainingItemCount?: number;
}

/** What `follow` returns: the revision of the initial state, a consistent-read wait, and close. */
export interface Follower {
  revision: number;
  /** Resolves once every change committed before the call has reached the listener. */
  sync(): Promise<void>;
  close(): void;
}

/**
 * A Store with a watch cache in front: besides the Store methods, reads and watches that hand
 * out the cached JSON text (so the API server writes it as is), and in-process listeners that
 * share the cache's one parse of each write.
 */
export interface CachedStore extends Store {
  /** One object's cached version, or undefined. */
  getCached(resource: string, namespace: string, name: string, at?: ReadAt): Promise<CacheEntry | undefined>;
  /** A list page from the cache (snapshot paging: every page shows the first page's revision). */
  listCached(resource: string, options?: ListOptions, at?: ReadAt): Promise<CachedList>;
  /** A watch whose events carry the cached JSON text; same rules as `watch`. */
  watchCached(
    resource: string,
    options: WatchOptions,
    onEvent: (event: CacheEvent) => void,
  ): Promise<Watcher>;
  /**
   * Calls `initial` with every current object, then `listener` synchronously with every change
   * as the cache applies it (the object parsed once for all: read-only).
   */
  follow(
    resource: string,
    listener: ChangeListener,
    initial: (object: KubeObject) => void,
  ): Promise<Follower>;
}
