import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';

/**
 * The decisions of the node lifecycle controller, as kube-controller-manager makes them, with
 * no I/O: a node whose Lease has not been renewed for the grace period gets Ready `Unknown`
 * and the `unreachable` taints (a node reporting Ready=False gets the `not-ready` ones), a
 * node whose Lease renews again gets them removed, and pods on a tainted node are evicted once
 * their toleration (or the eviction timeout) has run out since the NoExecute taint was added;
 * until then, pods on a node that is not ready are marked not Ready.
 */

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';

/** Timings of the node lifecycle controller, in milliseconds. */
export interface NodeHealthOptions {
  /** How long a Lease may go unrenewed before the node is Unknown. */
  gracePeriodMs: number;
  /** How long pods without a matching toleration stay on a NoExecute-tainted node. */
  podEvictionTimeoutMs: number;
}

/** What the node lifecycle controller should do for one node now. */
export interface NodeHealthPlan {
  /** The node's Ready condition status as the controller sees it. */
  ready: 'True' | 'False' | 'Unknown';
  /** The Ready condition to write when it must change (Unknown), or undefined. */
  readyCondition: NodeCondition | undefined;
  /** The taints the node should have (undefined: leave them as they are). */
  taints: Taint[] | undefined;
  /** True when the node just became not ready (for the NodeNotReady event). */
  becameNotReady: boolean;
  /** Names (`namespace/name`) of pods to evict now. */
  evict: string[];
  /**
   * Names (`namespace/name`) of pods whose Ready condition should become False because their node
   * is not ready (Kubernetes' MarkPodsNotReady), so that Services stop sending them traffic
   * before the eviction timeout replaces them.
   */
  markNotReady: string[];
  /** When (ms) to look again: the Lease expiring, or the next eviction. */
  requeueAt: number | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The last renewal of a Lease in ms since the epoch, or undefined. */
export function leaseRenewedAt(lease: Lease | undefined): number | undefined {
  const t = Date.parse(lease?.spec?.renewTime ?? lease?.spec?.acquireTime ?? '');
  return Number.isFinite(t) ? t : undefined;
}

function tolerationFor(pod: Pod, taint: Taint): { tolerated: boolean; seconds: number | undefined } {
  for (const t of pod.spec?.tolerations ?? []) {
    if (t.effect && t.effect !== taint.effect) continue;
    const match =
      t.operator === 'Exists'
        ? !t.key || t.key === taint.key
        : t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
    if (match) return { tolerated: true, seconds: t.tolerationSeconds };
  }
  return { tolerated: false, seconds: undefined };
}

/**
 * Plans one reconcile of a node from its Lease (in `kube-node-lease`) and the pods bound to
 * it. A node with no Lease at all is judged by its creation time, so a node that never
 * heartbeats also becomes Unknown after the grace period.
 */
export function planNodeHealth(
  node: Node,
  observed: NodeHealthOptions & { lease: Lease | undefined; pods: Pod[]; now: number },
): NodeHealthPlan {
  const { lease, pods, now } = observed;
  const options: NodeHealthOptions = observed;
  const conditions = node.status?.conditions ?? [];
  const current = conditions.find((c) => c.type === 'Ready');
  // Either signal proves the agent alive, as Kubernetes' probe timestamp: a Lease renewal or a
  // posted Ready condition's heartbeat (ours, when we set Unknown, keeps the old heartbeat).
  const heartbeat = Date.parse(current?.lastHeartbeatTime ?? '');
  const leaseAt = leaseRenewedAt(lease);
  const signals = [leaseAt, Number.isFinite(heartbeat) ? heartbeat : undefined].filter(
    (t): t is number => t !== undefined,
  );
  const renewed =
    signals.length > 0 ? Math.max(...signals) : Date.parse(node.metadata?.creationTimestamp ?? '') || now;
  const stale = now - renewed >= options.gracePeriodMs;
  const reported = (current?.status ?? 'Unknown') as 'True' | 'False' | 'Unknown';
  let ready: 'True' | 'False' | 'Unknown' = reported;
  let readyCondition: NodeCondition | undefined;
  let becameNotReady = false;
  if (stale) {
    ready = 'Unknown';
    if (current?.status !== 'Unknown') {
      becameNotReady = true;
      readyCondition = {
        type: 'Ready',
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastHeartbeatTime: current?.lastHeartbeatTime ?? iso(renewed),
        lastTransitionTime: iso(now),
      };
    }
  } else if (
    current === undefined ||
    (reported === 'Unknown' && leaseAt !== undefined && !(heartbeat >= leaseAt))
  ) {
    // Fresh Lease but the condition is still ours, or a node registering that has not posted its
    // status yet: the agent will post it; treat as ready (no unreachable taint on a new node).
    ready = 'True';
  }
  const existing = node.spec?.taints ?? [];
  const others = existing.filter((t) => t.key !== UNREACHABLE_TAINT && t.key !== NOT_READY_TAINT);
  const wantKey = ready === 'Unknown' ? UNREACHABLE_TAINT : ready === 'False' ? NOT_READY_TAINT : undefined;
  const ours: Taint[] = [];
  if (wantKey) {
    for (const effect of ['NoSchedule', 'NoExecute']) {
      const had = existing.find((t) => t.key === wantKey && t.effect === effect);
      ours.push(had ?? { key: wantKey, effect, ...(effect === 'NoExecute' ? { timeAdded: iso(now) } : {}) });
    }
  }
  const desired = [...others, ...ours];
  const same =
    desired.length === existing.length &&
    desired.every((t) => existing.some((e) => e.key === t.key && e.effect === t.effect));
  const taints = same ? undefined : desired;
  const evict: string[] = [];
  let requeueAt: number | undefined = stale ? undefined : renewed + options.gracePeriodMs;
  const noExecute = ours.find((t) => t.effect === 'NoExecute');
  if (noExecute) {
    const added = Date.parse(noExecute.timeAdded ?? '') || now;
    for (const pod of pods) {
      if (pod.metadata?.deletionTimestamp && pod.metadata.deletionGracePeriodSeconds === 0) continue;
      const { tolerated, seconds } = tolerationFor(pod, noExecute);
      if (tolerated && seconds === undefined) continue;
      const limitMs = tolerated
        ? Math.min((seconds ?? 0) * 1000, options.podEvictionTimeoutMs)
        : options.podEvictionTimeoutMs;
      const at = added + Math.max(limitMs, 0);
      if (at <= now) evict.push(`${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`);
      else requeueAt = requeueAt === undefined ? at : Math.min(requeueAt, at);
    }
  }
  const markNotReady: string[] = [];
  if (ready !== 'True') {
    for (const pod of pods) {
      const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
      const podReady = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (podReady?.status === 'True' && !pod.metadata?.deletionTimestamp && !evict.includes(key))
        markNotReady.push(key);
    }
  }
  return { ready, readyCondition, taints, becameNotReady, evict, markNotReady, requeueAt };
}
