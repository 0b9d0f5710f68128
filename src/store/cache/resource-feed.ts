import type { KubeObject } from '../../common/kube-object.js';
import { hasCode } from '../../common/stratus-error.js';
import type { Store, StoredChange, StoredList, Watcher } from '../store.js';
import { makeEntry, type CacheEntry } from './cache-entry.js';
import type { CacheEvent } from './cache-event.js';
import { CacheWatcher, WatcherSet } from './cache-watcher.js';
import type { EntryMatcher } from './entry-matcher.js';
import { ProgressGate } from './progress-gate.js';
import { ResourceCache } from './resource-cache.js';

/** Objects read per page while loading, so loading never holds a whole resource's rows at once. */
const PAGE = 1000;
/** Loads in a row after which a resource whose history keeps being compacted under it gives up. */
const MAX_LOADS = 5;

/**
 * An in-process consumer of a resource's changes (the garbage collector's graph). It is called
 * synchronously as the cache applies each change, with the object parsed once for the cache and
 * every listener: read-only, shared.
 */
export type ChangeListener = (event: CacheEvent, object: KubeObject) => void;

/**
 * Keeps one resource's ResourceCache in step with the store: loads it page by page, then follows
 * one store watch from the first page's revision (changes replayed from there that the pages
 * already showed are ignored by revision), and opens the history window once that watch has
 * caught up. Every write of the resource is parsed here once, and only here; its JSON text is
 * kept as the store made it.
 */
export class ResourceFeed {
  readonly watchers = new WatcherSet();
  private current: ResourceCache;
  private readonly listeners = new Set<ChangeListener>();
  private readonly gate: ProgressGate;
  private backendWatcher: Watcher | undefined;
  private loaded = false;
  private closed = false;
  /** Resolves once loaded; rejects when the store refused. */
  readonly ready: Promise<void>;

  constructor(
    private readonly backend: Store,
    readonly resource: string,
    private readonly options: { indexPaths: readonly string[]; historySize: number },
  ) {
    this.current = this.emptyCache();
    this.gate = new ProgressGate(() => this.backendWatcher?.progress() ?? Promise.resolve(0));
    this.ready = this.load();
    this.ready.catch(() => undefined);
  }

  /** True once loaded: reads need not wait for `ready`. */
  get isLoaded(): boolean {
    return this.loaded;
  }

  /** The resource's state (replaced only while loading). */
  get cache(): ResourceCache {
    return this.current;
  }

  /**
   * Resolves, with the store's revision at the call, once every change committed before the call
   * has been applied: what a consistent read waits for.
   */
  async sync(): Promise<number> {
    if (!this.loaded) await this.ready;
    const revision = await this.gate.wait();
    if (revision > this.current.revision) this.current.revision = revision;
    return revision;
  }

  /**
   * The store's revision when the cache is known to hold every change committed so far without
   * waiting (the store watch has nothing queued), else undefined: then `sync()` must be awaited.
   */
  syncedNow(): number | undefined {
    if (!this.loaded) return undefined;
    const revision = this.backendWatcher?.progressNow?.();
    if (revision === undefined) return undefined;
    if (revision > this.current.revision) this.current.revision = revision;
    return revision;
  }

  /**
   * Starts a watch from `fromRevision` (not older than the window): the history after it, then
   * live changes. Synchronous, so nothing slips in between.
   */
  watch(matcher: EntryMatcher, fromRevision: number, onEvent: (event: CacheEvent) => void): CacheWatcher {
    const watcher = new CacheWatcher(
      matcher,
      fromRevision,
      onEvent,
      () => this.sync(),
      (w) => this.watchers.delete(w),
    );
    for (const event of this.current.history.since(fromRevision)) watcher.offer(event);
    this.watchers.add(watcher);
    return watcher;
  }

  /**
   * Hands every current object (parsed, fresh) to `initial`, then every later change to
   * `listener`, with nothing in between; returns the revision the initial state is at.
   */
  follow(listener: ChangeListener, initial: (object: KubeObject) => void): number {
    for (const entry of this.current.entries()) initial(JSON.parse(entry.json) as KubeObject);
    this.listeners.add(listener);
    return this.current.revision;
  }

  unfollow(listener: ChangeListener): void {
    this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await Promise.all(this.watchers.all().map((w) => w.close()));
    await this.backendWatcher?.close();
    await this.ready.catch(() => undefined);
    await this.backendWatcher?.close();
  }

  private emptyCache(): ResourceCache {
    return new ResourceCache(this.resource, this.options.indexPaths, this.options.historySize);
  }

  private async load(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const revision = await this.loadObjects();
        if (this.closed) return;
        this.backendWatcher = await this.followStore(revision);
        const caughtUp = await this.backendWatcher.progress();
        if (caughtUp > this.current.revision) this.current.revision = caughtUp;
        this.current.openWindow();
        this.loaded = true;
        return;
      } catch (err) {
        await this.backendWatcher?.close();
        this.backendWatcher = undefined;
        if (!hasCode(err, 'STORE_REVISION_COMPACTED') || attempt >= MAX_LOADS || this.closed) throw err;
        this.current = this.emptyCache();
      }
    }
  }

  /** Reads every object page by page into the cache; returns the first page's revision. */
  private async loadObjects(): Promise<number> {
    let token: string | undefined;
    let revision = 0;
    do {
      const page = await this.listPage(token);
      if (token === undefined) revision = page.revision;
      for (const item of page.items) {
        const object = JSON.parse(item.value) as KubeObject;
        const rv = Number(object.metadata.resourceVersion ?? 0);
        this.current.apply(
          'ADDED',
          rv,
          item,
          makeEntry(item, rv, item.value, object, this.options.indexPaths),
        );
      }
      token = page.continue;
    } while (token !== undefined && token !== '' && !this.closed);
    if (revision > this.current.revision) this.current.revision = revision;
    return revision;
  }

  private async listPage(token: string | undefined): Promise<StoredList> {
    const options = { limit: PAGE, ...(token !== undefined ? { continue: token } : {}) };
    if (this.backend.listStored !== undefined) return this.backend.listStored(this.resource, options);
    const page = await this.backend.list(this.resource, options);
    return {
      revision: page.revision,
      items: page.items.map((o) => ({
        namespace: o.metadata.namespace ?? '',
        name: o.metadata.name ?? '',
        value: JSON.stringify(o),
      })),
      ...(page.continue !== undefined ? { continue: page.continue } : {}),
    };
  }

  private followStore(revision: number): Promise<Watcher> {
    const onChange = (change: StoredChange): void => this.onChange(change);
    if (this.backend.watchStored !== undefined) {
      return this.backend.watchStored(this.resource, revision, onChange);
    }
    return this.backend.watch(this.resource, { fromRevision: revision }, (e) =>
      onChange({
        type: e.type,
        revision: e.revision,
        namespace: e.object.metadata.namespace ?? '',
        name: e.object.metadata.name ?? '',
        value: JSON.stringify(e.object),
      }),
    );
  }

  private onChange(change: StoredChange): void {
    if (this.closed) return;
    let object: KubeObject | undefined;
    let entry: CacheEntry | undefined;
    if (change.type !== 'DELETED') {
      object = JSON.parse(change.value) as KubeObject;
      entry = makeEntry(change, change.revision, change.value, object, this.options.indexPaths);
    }
    const event = this.current.apply(change.type, change.revision, change, entry);
    if (event === undefined || !this.loaded) return;
    this.current.record(event);
    if (object === undefined && this.listeners.size > 0) {
      // A deletion: its last state, shown at the deletion's revision, parsed once for everyone.
      object = JSON.parse(change.value) as KubeObject;
      object.metadata.resourceVersion = String(change.revision);
      if (this.watchers.size > 0) event.setJson(JSON.stringify(object));
    }
    this.watchers.offer(event);
    if (object === undefined) return;
    for (const listener of this.listeners) {
      try {
        listener(event, object);
      } catch (err) {
        process.emitWarning(`a watch cache listener threw: ${String(err)}`, 'StratusStoreWarning');
      }
    }
  }
}
