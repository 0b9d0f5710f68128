import type { KubeObject } from '../common/kube-object.js';

/** An owner reference as the graph keeps it: enough to look the owner up when it is unknown. */
export interface GraphOwner {
  uid: string;
  /** `apps/v1/ReplicaSet`: shared by every reference to the same kind. */
  kind: string;
  name: string;
}

/**
 * What the graph keeps of one object: where it is, who owns it and whether it is being deleted.
 * Never the object itself, so that 150,000 pods cost a few hundred bytes each.
 */
export interface GraphNode {
  readonly uid: string;
  /** The store key (`pods`, `deployments.apps`). */
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  readonly owners: readonly GraphOwner[];
  /** `metadata.deletionTimestamp` in ms since the epoch, when set. */
  readonly deletionMs: number | undefined;
  /** Marked for deletion and holding the `foregroundDeletion` finalizer: waits for its dependents. */
  readonly foreground: boolean;
}

/** How a change altered the graph: the node before (undefined when new) and after. */
export interface GraphUpdate {
  previous: GraphNode | undefined;
  node: GraphNode;
}

/**
 * The owner→dependents graph of every stored object, as kube-controller-manager's GraphBuilder
 * keeps it: nodes by uid, the uids that name each owner (whether or not the owner still exists),
 * the uids in each namespace and those marked for deletion. Every question the garbage collector
 * asks is answered in O(answer): a deleted owner's dependents, whether a foreground owner still
 * waits, what is left in a terminating namespace. Pure bookkeeping: it is fed from watches.
 */
export class OwnerGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly dependentsOf = new Map<string, Set<string>>();
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly deletingUids = new Set<string>();
  /**
   * Interned strings, since each parsed object carries its own copies: kinds (few) and the names
   * of namespaces that hold objects (dropped with their last object).
   */
  private readonly interned = new Map<string, string>();

  /** Objects in the graph. */
  get size(): number {
    return this.nodes.size;
  }

  /** Adds or replaces the node of a stored object; an object without a uid is ignored. */
  observe(resource: string, object: KubeObject): GraphUpdate | undefined {
    const meta = object.metadata;
    const uid = meta.uid;
    if (uid === undefined || uid === '') return undefined;
    const previous = this.nodes.get(uid);
    const ts = meta.deletionTimestamp;
    const deletionMs = ts === undefined ? undefined : Date.parse(ts);
    const owners = (meta.ownerReferences ?? []).map((r) => ({
      uid: r.uid,
      kind: this.intern(`${r.apiVersion}/${r.kind}`),
      name: r.name,
    }));
    const node: GraphNode = {
      uid,
      resource,
      namespace: this.intern(meta.namespace ?? ''),
      name: meta.name ?? '',
      owners: sameOwners(previous?.owners, owners) ? (previous?.owners ?? owners) : owners,
      deletionMs,
      foreground: deletionMs !== undefined && (meta.finalizers ?? []).includes('foregroundDeletion'),
    };
    if (previous === undefined) addTo(this.byNamespace, node.namespace, uid);
    for (const o of previous?.owners ?? []) if (!owners.some((n) => n.uid === o.uid)) this.unlink(o.uid, uid);
    for (const o of owners) addTo(this.dependentsOf, o.uid, uid);
    if (deletionMs === undefined) this.deletingUids.delete(uid);
    else this.deletingUids.add(uid);
    this.nodes.set(uid, node);
    return { previous, node };
  }

  /** Removes an object's node; returns it, or undefined when it was not in the graph. */
  remove(uid: string): GraphNode | undefined {
    const node = this.nodes.get(uid);
    if (node === undefined) return undefined;
    this.nodes.delete(uid);
    this.deletingUids.delete(uid);
    if (removeFrom(this.byNamespace, node.namespace, uid)) this.interned.delete(node.namespace);
    for (const o of node.owners) this.unlink(o.uid, uid);
    return node;
  }

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  has(uid: string): boolean {
    return this.nodes.has(uid);
  }

  /** The nodes whose ownerReferences name `ownerUid`, present or not. */
  dependents(ownerUid: string): GraphNode[] {
    return this.resolve(this.dependentsOf.get(ownerUid));
  }

  /** How many objects still name `ownerUid` as an owner. */
  dependentCount(ownerUid: string): number {
    return this.dependentsOf.get(ownerUid)?.size ?? 0;
  }

  /** The objects in a namespace. */
  inNamespace(namespace: string): GraphNode[] {
    return this.resolve(this.byNamespace.get(namespace));
  }

  /** How many objects a namespace holds. */
  namespaceCount(namespace: string): number {
    return this.byNamespace.get(namespace)?.size ?? 0;
  }

  /** The objects marked for deletion (with a deletionTimestamp). */
  deleting(): GraphNode[] {
    return this.resolve(this.deletingUids);
  }

  /** Every node; for a full scan after a rebuild. */
  all(): IterableIterator<GraphNode> {
    return this.nodes.values();
  }

  private resolve(uids: Set<string> | undefined): GraphNode[] {
    const out: GraphNode[] = [];
    for (const uid of uids ?? []) {
      const node = this.nodes.get(uid);
      if (node !== undefined) out.push(node);
    }
    return out;
  }

  private unlink(ownerUid: string, uid: string): void {
    removeFrom(this.dependentsOf, ownerUid, uid);
  }

  private intern(s: string): string {
    const known = this.interned.get(s);
    if (known !== undefined) return known;
    this.interned.set(s, s);
    return s;
  }
}

function sameOwners(a: readonly GraphOwner[] | undefined, b: readonly GraphOwner[]): boolean {
  return a !== undefined && a.length === b.length && a.every((o, i) => o.uid === b[i]?.uid);
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

/** Removes `value` from the set at `key`; true when that emptied (and so dropped) the set. */
function removeFrom(map: Map<string, Set<string>>, key: string, value: string): boolean {
  const set = map.get(key);
  if (set === undefined) return false;
  set.delete(value);
  if (set.size > 0) return false;
  map.delete(key);
  return true;
}
