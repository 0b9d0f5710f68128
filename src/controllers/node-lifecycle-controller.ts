import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { Controller, type Informer, objectKey, splitKey } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import type { EventRecorder } from '../client/index.js';
import { planNodeHealth, type NodeHealthOptions } from './node-health.js';

type N = Node & KubeObject;
type L = Lease & KubeObject;
type P = Pod & KubeObject;

/** The namespace agents keep their Leases in. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Options of the node lifecycle controller; both default as Kubernetes. */
export interface NodeLifecycleOptions {
  /** How long a Lease may go unrenewed before the node is Unknown; default 40 000 ms. */
  nodeMonitorGracePeriodMs?: number;
  /** How long pods stay on an unreachable/not-ready node before eviction; default 300 000 ms. */
  podEvictionTimeoutMs?: number;
}

/**
 * The node lifecycle controller: watches Nodes, their Leases in `kube-node-lease` and the
 * pods bound to them. A node whose Lease was not renewed within the grace period gets Ready
 * `Unknown` (NodeStatusUnknown) and the `node.kubernetes.io/unreachable` NoSchedule and
 * NoExecute taints (`not-ready` when the agent reports Ready=False); once the eviction timeout
 * (or a shorter tolerationSeconds) has passed since the NoExecute taint was added, pods on it
 * that do not tolerate it are deleted with gracePeriodSeconds 0 — the node cannot confirm —
 * so that their controllers replace them elsewhere. When the Lease renews, the taints go (the
 * agent posts Ready again). Until eviction, the Ready condition of the node's pods is set to False
 * (MarkPodsNotReady). Decisions come from `planNodeHealth`. Events: NodeNotReady (on the node,
 * and on each pod marked), TaintManagerEviction (on each pod).
 */
export class NodeLifecycleController extends Controller {
  readonly name = 'nodelifecycle';
  private readonly ctx: ControllerContext;
  private readonly nodes: Informer<N>;
  private readonly leases: Informer<L>;
  private readonly pods: Informer<P>;
  private readonly recorder: EventRecorder;
  private readonly timing: NodeHealthOptions;

  constructor(ctx: ControllerContext, options: NodeLifecycleOptions = {}) {
    super({ clock: ctx.clock, workers: 1, onError: (key, err) => ctx.onError?.('nodelifecycle', key, err) });
    this.ctx = ctx;
    this.timing = {
      gracePeriodMs: options.nodeMonitorGracePeriodMs ?? 40_000,
      podEvictionTimeoutMs: options.podEvictionTimeoutMs ?? 300_000,
    };
    this.recorder = ctx.recorder('node-controller');
    this.nodes = ctx.informers.for<N>('nodes');
    this.leases = ctx.informers.for<L>('leases');
    this.pods = ctx.informers.for<P>('pods');
    this.nodes.addHandlers({
      onAdd: (n) => this.enqueue(objectKey(n)),
      onUpdate: (_o, n) => this.enqueue(objectKey(n)),
    });
    const onLease = (l: L): void => {
      if (l.metadata.namespace === NODE_LEASE_NAMESPACE) this.enqueue(l.metadata.name ?? '');
    };
    this.leases.addHandlers({ onAdd: onLease, onUpdate: (_o, l) => onLease(l), onDelete: onLease });
    const onPod = (p: P): void => {
      if (p.spec?.nodeName) this.enqueue(p.spec.nodeName);
    };
    this.pods.addHandlers({ onAdd: onPod });
  }

  protected informers(): Informer[] {
    return [this.nodes, this.leases, this.pods] as unknown as Informer[];
  }

  override async close(): Promise<void> {
    await super.close();
    await this.recorder.close();
  }

  async reconcile(key: string): Promise<void> {
    const { name } = splitKey(key);
    const node = this.nodes.get('', name);
    if (!node) return;
    const lease = this.leases.get(NODE_LEASE_NAMESPACE, name);
    const pods = this.pods.list({ match: (p) => p.spec?.nodeName === name });
    const now = this.clock.now();
    const plan = planNodeHealth(node, { lease, pods, now, ...this.timing });
    const nodeObject = { ...node, apiVersion: 'v1', kind: 'Node' };
    if (plan.readyCondition) {
      const others = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
      await this.ignoreNotFound(
        this.ctx.client.patch(
          'nodes',
          name,
          { status: { conditions: [...others, plan.readyCondition] } },
          { subresource: 'status' },
        ),
      );
    }
    if (plan.becameNotReady) {
      this.recorder.event(nodeObject, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    }
    if (plan.taints) {
      await this.ignoreNotFound(
        this.ctx.client.patch('nodes', name, {
          metadata: { resourceVersion: node.metadata.resourceVersion },
          spec: { taints: plan.taints.length > 0 ? plan.taints : null },
        }),
      );
    }
    for (const podKey of plan.evict) {
      const pod = pods.find((p) => objectKey(p) === podKey);
      const { namespace, name: podName } = splitKey(podKey);
      const info = await this.ctx.client.resolve('pods');
      await this.ignoreNotFound(
        this.ctx.client.request('DELETE', this.ctx.client.path(info, { namespace }, podName), {
          body: {
            kind: 'DeleteOptions',
            apiVersion: 'v1',
            gracePeriodSeconds: 0,
            propagationPolicy: 'Background',
          },
        }),
      );
      if (pod) {
        this.recorder.event(
          { ...pod, apiVersion: 'v1', kind: 'Pod' },
          'Normal',
          'TaintManagerEviction',
          `Marking for deletion Pod ${podKey}`,
        );
      }
    }
    for (const podKey of plan.markNotReady) {
      const pod = pods.find((p) => objectKey(p) === podKey);
      if (pod) await this.markPodNotReady(pod, now);
    }
    if (plan.requeueAt !== undefined) this.queue.addAfter(key, Math.max(plan.requeueAt - now, 1));
  }

  /**
   * Sets a pod's Ready condition to False (the node cannot vouch for it), guarded by the pod's
   * resourceVersion so that a status the agent wrote meanwhile is not overwritten (a conflict is
   * retried), and records Kubernetes' NodeNotReady Event on the pod.
   */
  private async markPodNotReady(pod: P, now: number): Promise<void> {
    const at = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const conditions = (pod.status?.conditions ?? []).map((c) =>
      c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: at } : c,
    );
    await this.ignoreNotFound(
      this.ctx.client.patch(
        'pods',
        pod.metadata.name ?? '',
        { metadata: { resourceVersion: pod.metadata.resourceVersion }, status: { conditions } },
        { namespace: pod.metadata.namespace ?? 'default', subresource: 'status' },
      ),
    );
    this.recorder.event(
      { ...pod, apiVersion: 'v1', kind: 'Pod' },
      'Warning',
      'NodeNotReady',
      'Node is not ready',
    );
  }

  private async ignoreNotFound(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      // A node or pod already gone needs nothing more; a conflict is retried with back-off.
      if (err instanceof StatusError && err.status === 404) return;
      throw err;
    }
  }
}
