import type { KubeClient, ResourceRef } from '../client/index.js';
import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { objectKey } from './object-key.js';
import { getControllerOf } from './owner.js';

/** Callbacks of an informer; they should only enqueue keys (never mutate the objects). */
export interface InformerHandlers<T extends KubeObject = KubeObject> {
  onAdd?: (object: T) => void;
  onUpdate?: (oldObject: T, newObject: T) => void;
  onDelete?: (object: T) => void;
}

/** Options of an Informer; every field has a default. */
export interface InformerOptions {
  /** One namespace; default: all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Ask the server to end each watch after this many seconds (then it resumes); default 300. */
  watchTimeoutSeconds?: number;
  /** Pause before retrying after an error; default 200 ms (doubling up to 5 s). */
  retryDelayMs?: number;
  /** Called with errors the informer recovers from (for logs); default: ignored. */
  onError?: (err: unknown) => void;
}

/**
 * A watch-fed cache of one resource (client-go's shared informer): lists, then watches from the
 * list's resourceVersion; when a watch ends it resumes from the last revision seen, and when the
 * server answers 410 (history compacted) or the stream fails it lists again and reconciles the
 * cache with what changed meanwhile, so handlers see every add, update and delete at least once.
 * Objects in the cache are shared: callers must copy before changing them. Cached objects carry
 * no `metadata.managedFields` (half of a pod's bytes, three quarters of its parsed objects).
 */
export class Informer<T extends KubeObject = KubeObject> {
  readonly resource: ResourceRef;
  private readonly client: KubeClient;
  private readonly options: InformerOptions;
  private readonly items = new Map<string, T>();
  /** The same objects by namespace, so that per-namespace lists cost what the namespace holds. */
  private readonly byNamespace = new Map<string, Map<string, T>>();
  /**
   * The same objects by namespace and controller uid (`''` for none), so that a controller finds
   * its own pods and the orphans it may adopt without scanning its namespace on every event
   * (Kubernetes' controller-uid index).
   */
  private readonly byController = new Map<string, Map<string, T>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly abort = new AbortController();
  private lastRevision = '';
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private loop: Promise<void> | undefined;
  /** How many times the informer listed (the first list included). */
  lists = 0;

  constructor(client: KubeClient, resource: ResourceRef, options: InformerOptions = {}) {
    this.client = client;
    this.resource = resource;
    this.options = options;
  }

  /** True once the first list has filled the cache. */
  get hasSynced(): boolean {
    return this.synced;
  }

  /** Registers handlers; objects already cached are replayed to `onAdd`. */
  addHandlers(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
    if (handlers.onAdd) for (const o of this.items.values()) handlers.onAdd(o);
  }

  /** Starts listing and watching (idempotent); resolves once the cache has synced. */
  async start(options: { timeoutMs?: number } = {}): Promise<void> {
    this.loop ??= this.run();
    await this.waitForSync(options);
  }

  /** Resolves when the first list has been applied; rejects after `timeoutMs` (default 30 s). */
  waitForSync(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `informer for ${typeof this.resource === 'string' ? this.resource : this.resource.resource} did not sync`,
            ),
          ),
        options.timeoutMs ?? 30_000,
      );
      timer.unref();
      this.syncWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** One cached object, or undefined. */
  get(namespace: string, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  /** The cached object under a `namespace/name` key. */
  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  /** Cached objects, optionally only those in a namespace and passing a predicate. */
  list(filter: { namespace?: string; match?: (object: T) => boolean } = {}): T[] {
    const out: T[] = [];
    const source =
      filter.namespace === undefined
        ? this.items.values()
        : (this.byNamespace.get(filter.namespace)?.values() ?? []);
    for (const o of source) {
      if (filter.match && !filter.match(o)) continue;
      out.push(o);
    }
    return out;
  }

  /**
   * Cached objects in `namespace` whose controller owner reference has `uid`, or with `uid` `''`,
   * those that have no controller.
   */
  listByController(namespace: string, uid: string): T[] {
    return [...(this.byController.get(controllerIndexKey(namespace, uid))?.values() ?? [])];
  }

  /** How many objects are cached. */
  get size(): number {
    return this.items.size;
  }

  /** Stops the watch. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = this.options.retryDelayMs ?? 200;
    let needList = true;
    while (!this.abort.signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        await this.watchOnce();
        delay = this.options.retryDelayMs ?? 200;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        needList = true;
        if (!(err instanceof StatusError && err.status === 410)) {
          this.options.onError?.(err);
          await sleep(delay, this.abort.signal);
          delay = Math.min(delay * 2, 5000);
        }
      }
    }
  }

  private listOptions(): {
    namespace?: string;
    allNamespaces?: boolean;
    labelSelector?: string;
    fieldSelector?: string;
  } {
    return {
      ...(this.options.namespace === undefined
        ? { allNamespaces: true }
        : { namespace: this.options.namespace }),
      ...(this.options.labelSelector === undefined ? {} : { labelSelector: this.options.labelSelector }),
      ...(this.options.fieldSelector === undefined ? {} : { fieldSelector: this.options.fieldSelector }),
    };
  }

  private async relist(): Promise<void> {
    const list = await this.client.list(this.resource, this.listOptions());
    this.lists++;
    const seen = new Set<string>();
    for (const raw of list.items) {
      const object = raw as T;
      const key = objectKey(object);
      seen.add(key);
      this.apply('MODIFIED', object);
    }
    for (const [key, old] of [...this.items]) {
      if (!seen.has(key)) this.apply('DELETED', old);
    }
    this.lastRevision = list.metadata?.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private async watchOnce(): Promise<void> {
    const events = this.client.watch(this.resource, {
      ...this.listOptions(),
      resourceVersion: this.lastRevision,
      allowWatchBookmarks: true,
      timeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
      signal: this.abort.signal,
    });
    for await (const event of events) {
      const object = event.object as T;
      const rv = object.metadata?.resourceVersion;
      if (rv) this.lastRevision = rv;
      if (event.type === 'BOOKMARK') continue;
      this.apply(event.type, object);
    }
  }

  private apply(type: string, object: T): void {
    // Controllers never read managedFields (an update without them keeps the stored ones), and
    // they are most of a cached object: dropped, as kube-scheduler and kube-controller-manager
    // drop them from their informers (TransformStripManagedFields).
    if (object.metadata.managedFields !== undefined) delete object.metadata.managedFields;
    const key = objectKey(object);
    const old = this.items.get(key);
    if (type === 'DELETED') {
      if (!old) return;
      this.items.delete(key);
      this.byNamespace.get(old.metadata.namespace ?? '')?.delete(key);
      this.byController.get(controllerIndexOf(old))?.delete(key);
      for (const h of this.handlers) h.onDelete?.(object);
      return;
    }
    if (old && old.metadata.resourceVersion === object.metadata.resourceVersion) return;
    this.items.set(key, object);
    const ns = object.metadata.namespace ?? '';
    let inNamespace = this.byNamespace.get(ns);
    if (!inNamespace) this.byNamespace.set(ns, (inNamespace = new Map<string, T>()));
    inNamespace.set(key, object);
    const indexKey = controllerIndexOf(object);
    if (old) {
      const oldKey = controllerIndexOf(old);
      if (oldKey !== indexKey) this.byController.get(oldKey)?.delete(key);
    }
    let byOwner = this.byController.get(indexKey);
    if (!byOwner) this.byController.set(indexKey, (byOwner = new Map<string, T>()));
    byOwner.set(key, object);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, object);
      else h.onAdd?.(object);
    }
  }
}

function controllerIndexKey(namespace: string, uid: string): string {
  return `${namespace}/${uid}`;
}

function controllerIndexOf(object: KubeObject): string {
  const uid = getControllerOf(object)?.uid ?? '';
  return controllerIndexKey(object.metadata.namespace ?? '', uid);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
