import type { KubeObject } from '../common/kube-object.js';

/**
 * The resource store: versioned JSON objects with optimistic concurrency and watch by revision.
 *
 * Objects are addressed by a resource name in Kubernetes' GroupResource form (`pods`,
 * `deployments.apps`, `leases.coordination.k8s.io`), a namespace ('' for cluster-scoped kinds)
 * and `metadata.name`. Every write bumps one global revision; the object's
 * `metadata.resourceVersion` is set to the decimal string of the revision that last wrote it.
 * The store never invents other metadata (uid, timestamps, generation): the API server does.
 *
 * Two implementations pass the same contract suite (`store-contract.ts`): SQLite (the default,
 * one process) and etcd (several servers).
 */
export interface Store {
  /** The object, or undefined when absent. */
  get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined>;

  /** Objects of a resource, sorted by namespace then name, filtered and paged. */
  list(resource: string, options?: ListOptions): Promise<ListResult>;

  /**
   * Stores a new object. Fails with `STORE_ALREADY_EXISTS` (409) when the name is taken.
   * Returns the stored object with its resourceVersion.
   */
  create(resource: string, object: KubeObject): Promise<KubeObject>;

  /**
   * Replaces an existing object. When `object.metadata.resourceVersion` is set it is a
   * precondition: a different current revision fails with `STORE_CONFLICT` (409). A missing
   * object fails with `STORE_NOT_FOUND` (404).
   */
  update(resource: string, object: KubeObject): Promise<KubeObject>;

  /**
   * Removes an object and returns its last state, whose resourceVersion is the revision of the
   * deletion. `expectedResourceVersion`, when given, is a precondition as in update.
   */
  delete(
    resource: string,
    namespace: string,
    name: string,
    options?: { expectedResourceVersion?: string },
  ): Promise<KubeObject>;

  /**
   * Streams changes of a resource made after `fromRevision`, in revision order, then live.
   * A revision older than the retained history fails with `STORE_REVISION_COMPACTED` (410).
   * With selectors, an object that stops matching arrives as DELETED and one that starts
   * matching as ADDED, as in Kubernetes' watch cache.
   */
  watch(resource: string, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<Watcher>;

  /** The latest revision written. */
  currentRevision(): Promise<number>;

  /** Drops history at and before `revision`; watches from there on get 410. */
  compact(revision: number): Promise<void>;

  close(): Promise<void>;

  /**
   * Optional: true when `object`, as this store last returned it, is stored in a form due for a
   * rewrite (encrypted with a key that is no longer the write key), so that an update changing
   * nothing is still written, as kube-apiserver writes an unchanged object whose transformer
   * reports it stale (what makes `kubectl replace` re-encrypt).
   */
  isStale?(resource: string, object: KubeObject): boolean;

  /**
   * Optional: `watch` without selectors that hands over each change as the store holds it (JSON
   * text, parsed by nobody), so a cache in front parses each write once instead of once per
   * watcher plus a re-serialization. Same ordering, replay and 410 rules as `watch`.
   */
  watchStored?(
    resource: string,
    fromRevision: number,
    onChange: (change: StoredChange) => void,
  ): Promise<Watcher>;

  /** Optional: `list` without selectors whose items are JSON text, for a cache to load from. */
  listStored?(resource: string, options?: Pick<ListOptions, 'limit' | 'continue'>): Promise<StoredList>;
}

/** One write as the store holds it (see `Store.watchStored`). */
export interface StoredChange {
  type: WatchEventType;
  revision: number;
  namespace: string;
  name: string;
  /**
   * The object's JSON text at `revision`, resourceVersion included; for DELETED, its last state
   * as stored, whose resourceVersion is still that of the write before the deletion.
   */
  value: string;
}

/** A page of `Store.listStored`: the JSON text of each object, with its key. */
export interface StoredList {
  items: Array<{ namespace: string; name: string; value: string }>;
  revision: number;
  continue?: string;
}

export interface ListOptions {
  /** Only this namespace; omitted or '' lists all namespaces. */
  namespace?: string;
  /** A Kubernetes label selector: `app=web,tier in (a,b),!canary`. */
  labelSelector?: string;
  /** A Kubernetes field selector: `metadata.name=web,status.phase!=Running`. */
  fieldSelector?: string;
  /** At most this many items; 0 or omitted means all. */
  limit?: number;
  /** The token from a previous page's `continue`. */
  continue?: string;
}

export interface ListResult {
  items: KubeObject[];
  /** The store revision the list was read at. */
  revision: number;
  /** Set when more items remain. */
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  /** Events strictly after this revision. */
  fromRevision: number;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
  revision: number;
}

export interface Watcher {
  /**
   * Resolves, with the store's revision at the time of the call, once every change of the
   * watched resource committed before the call has been passed to the callback (etcd's progress
   * request). A cache fed by watches awaits it to answer as of "now", never behind a write that
   * its caller has already seen acknowledged. A closed watcher resolves at once.
   */
  progress(): Promise<number>;
  /**
   * Optional: what `progress()` would resolve with when it can tell without waiting (every change
   * committed so far has been passed to the callback already, none is being passed now), else
   * undefined. A consistent read from a cache that is up to date then costs no promise.
   */
  progressNow?(): number | undefined;
  /** Stops delivery; no event arrives after the returned promise resolves. */
  close(): Promise<void>;
}
