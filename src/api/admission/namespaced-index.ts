import type { KubeObject } from '../../common/kube-object.js';
import type { Store, Watcher } from '../../store/index.js';

/**
 * The objects of one namespaced resource (LimitRanges, ResourceQuotas), by namespace, listed
 * once and kept fresh by a store watch, as kube-apiserver's admission plugins read them from an
 * informer: one written through the API is seen before its writer's next request (the store
 * delivers changes on the next turn after the commit). Objects are shared: never change them.
 */
export class NamespacedIndex {
  private readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  private watcher: Watcher | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly resource: string,
  ) {}

  /** Lists the resource and starts watching it. */
  async start(): Promise<void> {
    const list = await this.store.list(this.resource);
    for (const o of list.items) this.apply(o, false);
    if (this.closed) return;
    this.watcher = await this.store.watch(this.resource, { fromRevision: list.revision }, (e) =>
      this.apply(e.object, e.type === 'DELETED'),
    );
  }

  /** The namespace's objects, by name order. */
  in(namespace: string): KubeObject[] {
    const objects = this.byNamespace.get(namespace);
    if (objects === undefined) return [];
    return [...objects.values()].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  }

  /** True when the namespace holds any. */
  has(namespace: string): boolean {
    return (this.byNamespace.get(namespace)?.size ?? 0) > 0;
  }

  private apply(object: KubeObject, deleted: boolean): void {
    const ns = object.metadata.namespace ?? '';
    const name = object.metadata.name ?? '';
    let objects = this.byNamespace.get(ns);
    if (deleted) {
      objects?.delete(name);
      if (objects?.size === 0) this.byNamespace.delete(ns);
      return;
    }
    if (objects === undefined) this.byNamespace.set(ns, (objects = new Map<string, KubeObject>()));
    objects.set(name, object);
  }

  /** Ends the watch. */
  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
  }
}
