import type { KubeObject } from '../common/kube-object.js';
import { hasCode } from '../common/stratus-error.js';
import type { CachedStore, Follower, Store, Watcher } from '../store/index.js';
import type { GraphNode, GraphUpdate, OwnerGraph } from './owner-graph.js';

/** Objects read per list page while rebuilding, so a rebuild never holds a whole resource at once. */
const PAGE = 500;
/** Relists in a row after which a resource whose watch keeps failing with 410 gives up. */
const MAX_RELISTS = 5;

/** What the feed tells its user after the rebuild: every change it applied to the graph. */
export interface GraphListener {
  /** A node was added or changed. */
  changed(update: GraphUpdate): void;
  /** An object was deleted; `node` is what the graph held of it (undefined when it never saw it). */
  removed(uid: string, node: GraphNode | undefined): void;
}

/**
 * Keeps an OwnerGraph up to date from the store: one paged list per resource rebuilds it (so it
 * survives restarts), then one watch per resource from that list's revision applies every change.
 * A watch that cannot start from its revision (410, history compacted) relists the resource and
 * reconciles: objects missing from the new list are reported removed. Only uids and the few
 * fields the graph needs are kept; each event's object is dropped once read.
 *
 * Over a watch cache (the API server's case) it follows the cache instead: the graph is rebuilt
 * from the cached objects and then fed by the cache's own store watch with the object the cache
 * parsed, so a write is watched and parsed once for both (the cache loads and relists for it).
 */
export class GraphFeed {
  private readonly watchers = new Map<string, Watcher>();
  private readonly followers: Follower[] = [];
  private closed = false;

  constructor(
    private readonly store: Store | CachedStore,
    private readonly graph: OwnerGraph,
    private readonly resources: readonly string[],
    private readonly listener: GraphListener,
  ) {}

  /** Rebuilds the graph from the store (no listener calls for that), then follows every resource. */
  async start(): Promise<void> {
    if ('follow' in this.store) return this.followCache(this.store);
    const revisions = new Map<string, number>();
    for (const resource of this.resources) revisions.set(resource, await this.list(resource, false));
    for (const [resource, revision] of revisions) await this.follow(resource, revision);
  }

  /** Resolves once every change committed before the call is in the graph (and told to the listener). */
  async sync(): Promise<void> {
    await Promise.all([
      ...[...this.watchers.values()].map((w) => w.progress()),
      ...this.followers.map((f) => f.sync()),
    ]);
  }

  /** Stops every watch. */
  async close(): Promise<void> {
    this.closed = true;
    for (const f of this.followers.splice(0)) f.close();
    const all = [...this.watchers.values()];
    this.watchers.clear();
    await Promise.all(all.map((w) => w.close()));
  }

  private async followCache(cache: CachedStore): Promise<void> {
    // Every resource at once: loading one is a few event-loop turns, mostly waiting.
    const followers = await Promise.all(
      this.resources.map((resource) =>
        cache.follow(
          resource,
          (event, object) => {
            if (event.type === 'DELETED') this.remove(object);
            else this.observe(resource, object, true);
          },
          (object) => this.observe(resource, object, false),
        ),
      ),
    );
    if (this.closed) for (const f of followers) f.close();
    else this.followers.push(...followers);
  }

  private async follow(resource: string, revision: number): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        const watcher = await this.store.watch(resource, { fromRevision: revision }, (event) => {
          if (event.type === 'DELETED') this.remove(event.object);
          else this.observe(resource, event.object, true);
        });
        if (this.closed) await watcher.close();
        else this.watchers.set(resource, watcher);
        return;
      } catch (err) {
        if (!hasCode(err, 'STORE_REVISION_COMPACTED') || attempt >= MAX_RELISTS) throw err;
        revision = await this.list(resource, true);
      }
    }
  }

  /**
   * Lists a resource page by page into the graph; returns the revision the list was read at. A
   * continue token compacted away mid-list (a long list under heavy writes) starts it over.
   */
  private async list(resource: string, notify: boolean): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.listOnce(resource, notify);
      } catch (err) {
        if (!hasCode(err, 'STORE_REVISION_COMPACTED') || attempt >= MAX_RELISTS) throw err;
      }
    }
  }

  private async listOnce(resource: string, notify: boolean): Promise<number> {
    const seen = notify ? new Set<string>() : undefined;
    let token: string | undefined;
    let revision = 0;
    do {
      const page = await this.store.list(resource, { limit: PAGE, ...(token ? { continue: token } : {}) });
      if (token === undefined) revision = page.revision;
      for (const object of page.items) {
        this.observe(resource, object, notify);
        if (object.metadata.uid !== undefined) seen?.add(object.metadata.uid);
      }
      token = page.continue;
    } while (token !== undefined && token !== '');
    if (seen !== undefined) {
      const gone = [...this.graph.all()].filter((n) => n.resource === resource && !seen.has(n.uid));
      for (const node of gone) this.listener.removed(node.uid, this.graph.remove(node.uid));
    }
    return revision;
  }

  private observe(resource: string, object: KubeObject, notify: boolean): void {
    const update = this.graph.observe(resource, object);
    if (update !== undefined && notify) this.listener.changed(update);
  }

  private remove(object: KubeObject): void {
    const uid = object.metadata.uid;
    if (uid !== undefined) this.listener.removed(uid, this.graph.remove(uid));
  }
}
