import type { KubeObject } from '../common/kube-object.js';
import { podReferences } from '../common/pod-references.js';

/** The kinds of objects a node may reach through the pods bound to it. */
export type NodeReachable = 'pod' | 'secret' | 'configmap' | 'persistentvolumeclaim' | 'serviceaccount';

interface PodEntry {
  node: string;
  refs: string[];
}

const ref = (kind: NodeReachable, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

/**
 * Which objects each node may read because a pod bound to it uses them: Kubernetes' Node
 * authorizer graph (node ← pod ← secret, configmap, persistentvolumeclaim, serviceaccount),
 * kept as counts per node so that a secret two pods use stays reachable until both are gone.
 * Fed with every pod add, change and delete; pods without `spec.nodeName` reach nothing. Pure.
 */
export class NodeGraph {
  private readonly pods = new Map<string, PodEntry>();
  private readonly reach = new Map<string, Map<string, number>>();

  /** Records a pod's current state (`deleted`: it is gone). */
  apply(pod: KubeObject, deleted: boolean): void {
    const namespace = pod.metadata.namespace ?? '';
    const key = `${namespace}/${pod.metadata.name ?? ''}`;
    const before = this.pods.get(key);
    if (before !== undefined) {
      this.change(before, -1);
      this.pods.delete(key);
    }
    const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
    if (deleted || node === '') return;
    const refs = podReferences(pod);
    const entry: PodEntry = {
      node,
      refs: [
        ref('pod', namespace, pod.metadata.name ?? ''),
        ...[...refs.secrets].map((n) => ref('secret', namespace, n)),
        ...[...refs.configMaps].map((n) => ref('configmap', namespace, n)),
        ...[...refs.persistentVolumeClaims].map((n) => ref('persistentvolumeclaim', namespace, n)),
        ...(refs.serviceAccount === '' ? [] : [ref('serviceaccount', namespace, refs.serviceAccount)]),
      ],
    };
    this.pods.set(key, entry);
    this.change(entry, 1);
  }

  private change(entry: PodEntry, delta: number): void {
    let counts = this.reach.get(entry.node);
    if (counts === undefined) {
      counts = new Map();
      this.reach.set(entry.node, counts);
    }
    for (const k of entry.refs) {
      const n = (counts.get(k) ?? 0) + delta;
      if (n <= 0) counts.delete(k);
      else counts.set(k, n);
    }
    if (counts.size === 0) this.reach.delete(entry.node);
  }

  /** True when a pod bound to `node` uses the object (or, for `pod`, is it). */
  reaches(node: string, kind: NodeReachable, namespace: string, name: string): boolean {
    return this.reach.get(node)?.has(ref(kind, namespace, name)) === true;
  }

  /** The node a pod is bound to ('' when unknown or unbound). */
  nodeOf(namespace: string, name: string): string {
    return this.pods.get(`${namespace}/${name}`)?.node ?? '';
  }
}
