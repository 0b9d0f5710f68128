import type { KubeObject } from '../../common/kube-object.js';
import { decodeContinue, encodeContinue } from '../continue-token.js';
import { revisionCompacted, storeClosed, tooLargeResourceVersion } from '../errors.js';
import type { ListOptions, ListResult, Store, WatchEvent, WatchOptions, Watcher } from '../store.js';
import { rememberStoredJson } from '../stored-json.js';
import type { CacheEntry } from './cache-entry.js';
import { CacheEvent } from './cache-event.js';
import { listPage, Snapshot, type Key } from './cache-list.js';
import type { CachedList, CachedStore, Follower, ReadAt } from './cached-store.js';
import { compileMatcher } from './entry-matcher.js';
import { ResourceFeed, type ChangeListener } from './resource-feed.js';

/** Options of a WatchCache; every field has a default. */
export interface WatchCacheOptions {
  /**
   * Field paths whose values are kept per object and indexed for `=` selectors, by resource
   * (`{ pods: ['spec.nodeName'] }`: every agent lists and watches its own pods). Default none.
   */
  indexes?: Readonly<Record<string, readonly string[]>>;
  /** Changes of each resource kept for watches to resume from; default 10,000. */
  historySize?: number;
  /** How long a read waits for a resourceVersion the store has not reached, then 504; default 3,000 ms. */
  tooLargeWaitMs?: number;
}

/** Figures about the cache, for metrics and tests. */
export interface WatchCacheStats {
  resources: number;
  objects: number;
  watchers: number;
  historyEvents: number;
}

const LATEST: ReadAt = { kind: 'latest' };
const NO_PATHS: readonly string[] = [];

/**
 * The watch cache (kube-apiserver's cacher), a layer over any Store: each resource is loaded
 * once and kept in memory by one store watch, and gets, lists and watches are served from there.
 * Writes go to the store. A read without a resourceVersion first waits until the cache holds
 * every change committed before it (`Watcher.progress()` on its store watch), so it never misses
 * an acknowledged write; lists page through snapshots rebuilt from the history; watches resume
 * from the history window and, older than it, from the store's own history (or get its 410).
 */
export class WatchCache implements CachedStore {
  private readonly feeds = new Map<string, ResourceFeed>();
  private closed = false;

  constructor(
    readonly backend: Store,
    private readonly options: WatchCacheOptions = {},
  ) {}

  /** Loads resources now (the API server does at start) rather than at their first use. */
  async start(resources: readonly string[]): Promise<void> {
    await Promise.all(resources.map((r) => this.load(r)));
  }

  async get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    const entry = await this.getCached(resource, namespace, name);
    return entry === undefined
      ? undefined
      : rememberStoredJson(JSON.parse(entry.json) as KubeObject, entry.json);
  }

  async list(resource: string, options: ListOptions = {}): Promise<ListResult> {
    const { items, ...rest } = await this.listCached(resource, options);
    return { ...rest, items: items.map((e) => JSON.parse(e.json) as KubeObject) };
  }

  create(resource: string, object: KubeObject): Promise<KubeObject> {
    return this.open().create(resource, object);
  }

  update(resource: string, object: KubeObject): Promise<KubeObject> {
    return this.open().update(resource, object);
  }

  delete(
    resource: string,
    namespace: string,
    name: string,
    options?: { expectedResourceVersion?: string },
  ): Promise<KubeObject> {
    return this.open().delete(resource, namespace, name, options);
  }

  watch(resource: string, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<Watcher> {
    return this.watchCached(resource, options, (e) =>
      onEvent({ type: e.type, object: JSON.parse(e.json) as KubeObject, revision: e.revision }),
    );
  }

  /** Whether the store below holds `object` in a form due for a rewrite (see `Store.isStale`). */
  isStale(resource: string, object: KubeObject): boolean {
    return this.backend.isStale?.(resource, object) ?? false;
  }

  currentRevision(): Promise<number> {
    return this.open().currentRevision();
  }

  /** Compacts the store and forgets the cache's history up to the same point. */
  async compact(revision: number): Promise<void> {
    await this.open().compact(revision);
    const at = Math.min(revision, await this.backend.currentRevision());
    for (const feed of this.feeds.values()) feed.cache.compact(at);
  }

  async getCached(
    resource: string,
    namespace: string,
    name: string,
    at: ReadAt = LATEST,
  ): Promise<CacheEntry | undefined> {
    const ready = this.ready(resource);
    const feed = ready instanceof ResourceFeed ? ready : await ready;
    // An `Exact` get reads as `NotOlderThan`: the cache keeps only the latest version per object.
    const waiting = this.reach(feed, at);
    if (waiting !== undefined) await waiting;
    return feed.cache.get(namespace, name);
  }

  async listCached(resource: string, options: ListOptions = {}, at: ReadAt = LATEST): Promise<CachedList> {
    const feed = await this.ready(resource);
    const matcher = compileMatcher(options, this.indexPaths(resource));
    let snapshotAt: number | undefined;
    let after: Key | undefined;
    if (options.continue) {
      const position = decodeContinue(options.continue);
      // A page of a listing older than the window: the store continues it from its own state.
      if (position.revision < feed.cache.windowStart) return this.listFromStore(resource, options);
      await this.atLeast(feed, position.revision);
      snapshotAt = position.revision;
      after = position;
    } else if (at.kind === 'exact') {
      await this.atLeast(feed, at.revision);
      if (at.revision < feed.cache.windowStart) throw revisionCompacted(at.revision, feed.cache.windowStart);
      snapshotAt = at.revision;
    } else {
      const waiting = this.reach(feed, at);
      if (waiting !== undefined) await waiting;
    }
    const cache = feed.cache;
    const revision = snapshotAt ?? cache.revision;
    const snapshot = revision < cache.revision ? new Snapshot(cache, revision) : undefined;
    const limit = options.limit !== undefined && options.limit > 0 ? Math.floor(options.limit) : 0;
    const page = listPage(cache, matcher, { limit, ...(after ? { after } : {}) }, snapshot);
    const result: CachedList = { items: page.items, revision };
    const last = page.items[page.items.length - 1];
    if (page.more && last !== undefined) {
      result.continue = encodeContinue({ revision, namespace: last.namespace, name: last.name });
      if (page.remaining !== undefined) result.remainingItemCount = page.remaining;
    }
    return result;
  }

  async watchCached(
    resource: string,
    options: WatchOptions,
    onEvent: (event: CacheEvent) => void,
  ): Promise<Watcher> {
    const feed = await this.ready(resource);
    const matcher = compileMatcher(options, this.indexPaths(resource));
    const from = Math.max(0, Math.floor(options.fromRevision));
    await this.atLeast(feed, from);
    if (from < feed.cache.windowStart) return this.watchStore(resource, options, onEvent);
    return feed.watch(matcher, from, onEvent);
  }

  async follow(
    resource: string,
    listener: ChangeListener,
    initial: (object: KubeObject) => void,
  ): Promise<Follower> {
    const feed = await this.ready(resource);
    return {
      revision: feed.follow(listener, initial),
      sync: async () => void (await feed.sync()),
      close: () => feed.unfollow(listener),
    };
  }

  /** Figures about the cache. */
  stats(): WatchCacheStats {
    const stats: WatchCacheStats = { resources: this.feeds.size, objects: 0, watchers: 0, historyEvents: 0 };
    for (const feed of this.feeds.values()) {
      stats.objects += feed.cache.size;
      stats.watchers += feed.watchers.size;
      stats.historyEvents += feed.cache.history.size;
    }
    return stats;
  }

  /** Stops every feed and watch, then closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.feeds.values()].map((f) => f.close()));
    this.feeds.clear();
    await this.backend.close();
  }

  private open(): Store {
    if (this.closed) throw storeClosed();
    return this.backend;
  }

  private indexPaths(resource: string): readonly string[] {
    return this.options.indexes?.[resource] ?? NO_PATHS;
  }

  private ready(resource: string): Promise<ResourceFeed> | ResourceFeed {
    if (this.closed) throw storeClosed();
    const feed = this.feeds.get(resource);
    // The common case costs no extra promise: a loaded feed is used as it is.
    return feed?.isLoaded === true ? feed : this.load(resource);
  }

  private async load(resource: string): Promise<ResourceFeed> {
    if (this.closed) throw storeClosed();
    let feed = this.feeds.get(resource);
    if (feed === undefined) {
      feed = new ResourceFeed(this.backend, resource, {
        indexPaths: this.indexPaths(resource),
        historySize: this.options.historySize ?? 10_000,
      });
      this.feeds.set(resource, feed);
      const created = feed;
      // A feed that failed to load is dropped, so the next read tries again.
      created.ready.catch(() => {
        if (this.feeds.get(resource) === created) this.feeds.delete(resource);
      });
    }
    await feed.ready;
    return feed;
  }

  /**
   * What to wait for before reading as `at` asks (a consistent read's progress, or a client's
   * resourceVersion); undefined when the cache already reflects it, as it mostly does.
   */
  private reach(feed: ResourceFeed, at: ReadAt): Promise<unknown> | undefined {
    if (at.kind === 'latest') return feed.syncedNow() === undefined ? feed.sync() : undefined;
    if (at.kind === 'any' || feed.cache.revision >= at.revision) return undefined;
    return this.atLeast(feed, at.revision);
  }

  /** Waits until the cache reflects `revision` (a client's resourceVersion); 504 when it never comes. */
  private async atLeast(feed: ResourceFeed, revision: number): Promise<void> {
    if (feed.cache.revision >= revision) return;
    const deadline = Date.now() + (this.options.tooLargeWaitMs ?? 3000);
    for (;;) {
      await feed.sync();
      if (feed.cache.revision >= revision) return;
      const left = deadline - Date.now();
      if (left <= 0) throw tooLargeResourceVersion(revision, feed.cache.revision);
      await new Promise((r) => setTimeout(r, Math.min(50, left)));
    }
  }

  private async listFromStore(resource: string, options: ListOptions): Promise<CachedList> {
    const { items, ...rest } = await this.open().list(resource, options);
    return { ...rest, items: items.map(detachedEntry) };
  }

  private watchStore(
    resource: string,
    options: WatchOptions,
    onEvent: (event: CacheEvent) => void,
  ): Promise<Watcher> {
    return this.open().watch(resource, options, (e) => {
      const entry = detachedEntry(e.object);
      onEvent(new CacheEvent(e.type, e.revision, entry, undefined));
    });
  }
}

/** An entry for an object read from the store rather than the cache (serialized here). */
function detachedEntry(object: KubeObject): CacheEntry {
  return {
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name ?? '',
    revision: Number(object.metadata.resourceVersion ?? 0),
    json: JSON.stringify(object),
    labels: object.metadata.labels,
    fields: NO_PATHS,
  };
}
