import { hasCode } from '../common/stratus-error.js';
import type { ApiDeps } from './api-context.js';
import type { GraphNode, OwnerGraph } from './owner-graph.js';

/**
 * Namespace termination for the garbage collector: a namespace marked for deletion has every
 * object in it deleted (Background), one task per object, found through the graph's namespace
 * index; when the graph holds nothing more in it, one `limit=1` list per namespaced resource
 * confirms it is empty and the namespace goes (unless finalizers of its own hold it). Objects
 * that appear in a terminating namespace later are deleted as they are seen. Task keys:
 * `n:<namespace>` (empty and remove) and `x:<uid>` (delete one object).
 */
export class NamespaceTerminator {
  private readonly terminating = new Set<string>();

  constructor(
    private readonly deps: ApiDeps,
    private readonly graph: OwnerGraph,
    private readonly enqueue: (key: string) => void,
  ) {}

  /** A node was added or changed. */
  observed(node: GraphNode): void {
    if (node.resource === 'namespaces') {
      if (node.deletionMs === undefined) {
        this.terminating.delete(node.name);
      } else {
        this.terminating.add(node.name);
        this.enqueue(`n:${node.name}`);
      }
    } else if (node.deletionMs === undefined && this.terminating.has(node.namespace)) {
      this.enqueue(`x:${node.uid}`);
    }
  }

  /** A node was removed: the last object of a terminating namespace lets the namespace go. */
  removed(node: GraphNode): void {
    if (node.resource === 'namespaces') this.terminating.delete(node.name);
    else if (this.terminating.has(node.namespace) && this.graph.namespaceCount(node.namespace) === 0) {
      this.enqueue(`n:${node.namespace}`);
    }
  }

  /** Runs an `n:` or `x:` task; `deleteNode` deletes one object. */
  async run(key: string, deleteNode: (node: GraphNode) => Promise<void>): Promise<void> {
    const arg = key.slice(2);
    if (key.startsWith('n:')) return this.terminate(arg);
    const node = this.graph.get(arg);
    if (node !== undefined && node.deletionMs === undefined && this.terminating.has(node.namespace)) {
      await deleteNode(node);
    }
  }

  private async terminate(name: string): Promise<void> {
    const { store, types } = this.deps;
    const ns = await store.get('namespaces', '', name);
    if (ns?.metadata.deletionTimestamp === undefined) {
      this.terminating.delete(name);
      return;
    }
    this.terminating.add(name);
    const content = this.graph.inNamespace(name);
    if (content.length > 0) {
      for (const node of content) if (node.deletionMs === undefined) this.enqueue(`x:${node.uid}`);
      return;
    }
    for (const type of types.storageResources(true)) {
      const left = await store.list(type.storageResource, { namespace: name, limit: 1 });
      if (left.items.length > 0) {
        throw new Error(`namespace "${name}" still holds ${type.plural} the garbage collector has not seen`);
      }
    }
    if ((ns.metadata.finalizers ?? []).length > 0) return;
    try {
      await store.delete('namespaces', '', name, {
        expectedResourceVersion: ns.metadata.resourceVersion ?? '',
      });
    } catch (err) {
      if (!hasCode(err, 'STORE_NOT_FOUND')) throw err;
    }
  }
}
