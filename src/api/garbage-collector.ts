import type { KubeObject, ObjectMeta } from '../common/kube-object.js';
import { hasCode } from '../common/stratus-error.js';
import type { ResourceType } from '../resources/index.js';
import type { ApiDeps } from './api-context.js';
import { GraphFeed } from './graph-feed.js';
import { NamespaceTerminator } from './namespace-terminator.js';
import { OwnerGraph, type GraphNode, type GraphOwner, type GraphUpdate } from './owner-graph.js';
import { TaskQueue } from './task-queue.js';

/** Deletes one object with a propagation policy, if it still has `uid`; the Deleter provides it. */
export type DeleteFn = (
  type: ResourceType,
  namespace: string,
  name: string,
  options: { propagationPolicy: 'Background' | 'Foreground'; preconditions: { uid: string } },
) => Promise<unknown>;

/** Uids remembered as deleted (so their dependents need no lookup) or deleted with Orphan. */
const REMEMBERED_UIDS = 20_000;
/** Background errors kept for tests and diagnostics (most recent last). */
const KEPT_ERRORS = 50;

type OwnerState = 'solid' | 'dangling' | 'waiting';

/**
 * The in-process garbage collector of the API server, built as kube-controller-manager's: an
 * owner→dependents graph (`OwnerGraph`) fed by one watch per resource (`GraphFeed`) drives a work
 * queue. When an owner goes, its dependents are deleted, or lose the reference when another owner
 * remains (Background); an owner marked `foregroundDeletion` has its dependents deleted and loses
 * the finalizer when none is left (Foreground); owners deleted with Orphan leave their dependents;
 * terminating namespaces are emptied and removed. Each step costs O(the dependents or the
 * namespace's objects), never a scan of the store, and the graph is rebuilt by one list per
 * resource on start, so work left by a previous run resumes. An object whose owner cannot be
 * found is deleted, as in Kubernetes. Every task is idempotent and retried with back-off.
 */
export class GarbageCollector {
  /** Errors of background tasks, kept for tests and diagnostics (most recent last, bounded). */
  readonly errors: unknown[] = [];
  private readonly graph = new OwnerGraph();
  private readonly feed: GraphFeed;
  private readonly queue: TaskQueue;
  private readonly namespaces: NamespaceTerminator;
  private readonly absent = new RecentUids(REMEMBERED_UIDS);
  private readonly orphaned = new RecentUids(REMEMBERED_UIDS);

  constructor(
    private readonly deps: ApiDeps,
    private readonly deleteFn: DeleteFn,
  ) {
    const resources = [...deps.types.storageResources(false), ...deps.types.storageResources(true)];
    this.feed = new GraphFeed(
      deps.store,
      this.graph,
      resources.map((t) => t.storageResource),
      {
        changed: (u) => this.changed(u),
        removed: (uid, node) => this.removed(uid, node),
      },
    );
    this.queue = new TaskQueue((key) => this.run(key), {
      onError: (_key, err) => {
        this.errors.push(err);
        if (this.errors.length > KEPT_ERRORS) this.errors.shift();
      },
    });
    this.namespaces = new NamespaceTerminator(deps, this.graph, (key) => this.queue.add(key));
  }

  /** Rebuilds the graph from the store, follows it, and queues the work a previous run left. */
  async start(): Promise<void> {
    await this.feed.start();
    for (const node of this.graph.all()) {
      this.namespaces.observed(node);
      if (node.foreground) this.queue.add(`f:${node.uid}`);
      if (node.owners.some((o) => this.ownerNeedsAttention(o))) this.queue.add(`d:${node.uid}`);
    }
  }

  /**
   * The objects whose ownerReferences name `uid`, once the graph has seen every write made before
   * the call (so a dependent created just before its owner's delete is among them).
   */
  async dependents(uid: string): Promise<GraphNode[]> {
    await this.feed.sync();
    return this.graph.dependents(uid);
  }

  /** Objects of a resource marked for deletion (the pod sweeper's candidates). */
  deleting(resource: string): GraphNode[] {
    return this.graph.deleting().filter((n) => n.resource === resource);
  }

  /** Remembers an owner deleted with Orphan: a dependent the graph had not seen yet keeps living. */
  orphaning(uid: string): void {
    this.orphaned.add(uid);
  }

  /** Stops following the store and the background tasks, waiting for running ones. */
  async close(): Promise<void> {
    await this.feed.close();
    await this.queue.close();
  }

  /** Resolves when no task is queued, running or waiting for a retry (for tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private changed({ previous, node }: GraphUpdate): void {
    this.namespaces.observed(node);
    if (node.foreground && previous?.foreground !== true) this.queue.add(`f:${node.uid}`);
    if (previous?.owners !== node.owners) {
      if (node.owners.some((o) => this.ownerNeedsAttention(o))) this.queue.add(`d:${node.uid}`);
      for (const o of previous?.owners ?? []) this.dependentLeft(o.uid);
    }
  }

  private removed(uid: string, node: GraphNode | undefined): void {
    this.absent.add(uid);
    for (const dep of this.graph.dependents(uid)) this.queue.add(`d:${dep.uid}`);
    if (node === undefined) return;
    for (const o of node.owners) this.dependentLeft(o.uid);
    this.namespaces.removed(node);
  }

  /** An owner that is unknown (perhaps gone) or waits for its dependents needs its dependents checked. */
  private ownerNeedsAttention(owner: GraphOwner): boolean {
    return this.graph.get(owner.uid)?.foreground ?? true;
  }

  /** A foreground owner whose last dependent left is released. */
  private dependentLeft(ownerUid: string): void {
    if (this.graph.get(ownerUid)?.foreground === true && this.graph.dependentCount(ownerUid) === 0) {
      this.queue.add(`f:${ownerUid}`);
    }
  }

  private run(key: string): Promise<void> {
    const arg = key.slice(2);
    switch (key[0]) {
      case 'd':
        return this.attemptToDelete(arg);
      case 'f':
        return this.foreground(arg);
      default:
        return this.namespaces.run(key, (node) => this.deleteNode(node, 'Background'));
    }
  }

  /**
   * Kubernetes' attemptToDeleteItem: a dependent with a live owner stays (losing references to
   * owners that are gone or wait for it); one whose owners are all gone is deleted, or loses the
   * references of owners deleted with Orphan; one whose owner waits for it is deleted, in the
   * foreground when it has dependents of its own.
   */
  private async attemptToDelete(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (node === undefined || node.owners.length === 0) return;
    if (node.deletionMs !== undefined && !node.foreground) return;
    const states = await Promise.all(node.owners.map((o) => this.ownerState(o, node)));
    const leaving = node.owners.filter((_, i) => states[i] !== 'solid');
    if (states.includes('solid')) {
      if (leaving.length > 0) await this.dropOwners(node, leaving);
      return;
    }
    const orphaned = leaving.filter((o) => this.orphaned.has(o.uid));
    if (orphaned.length > 0) return this.dropOwners(node, orphaned);
    const waited = states.includes('waiting') && this.graph.dependentCount(uid) > 0;
    await this.deleteNode(node, waited ? 'Foreground' : 'Background');
  }

  private async ownerState(owner: GraphOwner, dependent: GraphNode): Promise<OwnerState> {
    const known = this.graph.get(owner.uid);
    if (known !== undefined) return known.foreground ? 'waiting' : 'solid';
    if (this.absent.has(owner.uid)) return 'dangling';
    const slash = owner.kind.lastIndexOf('/');
    const type = this.deps.types.byApiVersionKind(owner.kind.slice(0, slash), owner.kind.slice(slash + 1));
    // A kind this server does not serve, or a namespaced owner of a cluster-scoped object: leave it.
    if (type === undefined || (type.namespaced && dependent.namespace === '')) return 'solid';
    const found = await this.deps.store.get(
      type.storageResource,
      type.namespaced ? dependent.namespace : '',
      owner.name,
    );
    if (found?.metadata.uid === owner.uid) return 'solid';
    this.absent.add(owner.uid);
    return 'dangling';
  }

  /** Foreground: delete the dependents; once none is left, drop the owner's finalizer. */
  private async foreground(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (node?.foreground !== true) return;
    const dependents = this.graph.dependents(uid);
    for (const dep of dependents) this.queue.add(`d:${dep.uid}`);
    if (dependents.length > 0) return;
    // None left as far as the graph knows: make sure it has seen every write before letting go.
    await this.feed.sync();
    if (this.graph.dependentCount(uid) === 0) await this.release(node);
    else this.queue.add(`f:${uid}`);
  }

  /** Removes the `foregroundDeletion` finalizer; the object goes when it was the last one. */
  private async release(node: GraphNode): Promise<void> {
    const current = await this.current(node);
    if (current === undefined) return;
    const all = current.metadata.finalizers ?? [];
    const finalizers = all.filter((f) => f !== 'foregroundDeletion');
    if (finalizers.length === all.length) return;
    const expectedResourceVersion = current.metadata.resourceVersion ?? '';
    await this.ignoreGone(
      finalizers.length === 0
        ? this.deps.store.delete(node.resource, node.namespace, node.name, { expectedResourceVersion })
        : this.deps.store.update(node.resource, {
            ...current,
            metadata: { ...current.metadata, finalizers },
          }),
    );
  }

  /** Removes the references to `owners` from a dependent (a stale read fails and is retried). */
  private async dropOwners(node: GraphNode, owners: readonly GraphOwner[]): Promise<void> {
    const current = await this.current(node);
    if (current === undefined) return;
    const refs = (current.metadata.ownerReferences ?? []).filter((r) => !owners.some((o) => o.uid === r.uid));
    const metadata: ObjectMeta = { ...current.metadata, ownerReferences: refs };
    if (refs.length === 0) delete metadata.ownerReferences;
    await this.ignoreGone(this.deps.store.update(node.resource, { ...current, metadata }));
  }

  private async deleteNode(node: GraphNode, policy: 'Background' | 'Foreground'): Promise<void> {
    const type = this.deps.types.byStorageResource(node.resource);
    if (type === undefined) return;
    await this.ignoreGone(
      this.deleteFn(type, node.namespace, node.name, {
        propagationPolicy: policy,
        preconditions: { uid: node.uid },
      }),
    );
  }

  /** The stored object of a node, or undefined when it is gone or was replaced (another uid). */
  private async current(node: GraphNode): Promise<KubeObject | undefined> {
    const current = await this.deps.store.get(node.resource, node.namespace, node.name);
    return current?.metadata.uid === node.uid ? current : undefined;
  }

  private async ignoreGone(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!hasCode(err, 'STORE_NOT_FOUND') && !hasCode(err, 'API_NOT_FOUND')) throw err;
    }
  }
}

/** A bounded set of uids: the oldest is forgotten first. Uids are never reused, so a hit is exact. */
class RecentUids {
  private readonly uids = new Set<string>();
  constructor(private readonly limit: number) {}
  add(uid: string): void {
    this.uids.add(uid);
    if (this.uids.size > this.limit) this.uids.delete(this.uids.values().next().value as string);
  }
  has(uid: string): boolean {
    return this.uids.has(uid);
  }
}
