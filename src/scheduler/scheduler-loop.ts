import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { EventRecorder, KubeClient } from '../client/index.js';
import { StatusError } from '../client/index.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { KubeObject } from '../common/kube-object.js';
import { objectKey, type Informer, type InformerFactory, type Runnable } from '../machinery/index.js';
import { nodeInfo, removePod, addPod, type NodeInfo } from './node-info.js';
import { scheduleOnto, type ScoringStrategy } from './schedule.js';

type P = Pod & KubeObject;
type N = Node & KubeObject;

/** Options of a SchedulerLoop; every field but client, informers and recorder has a default. */
export interface SchedulerLoopOptions {
  client: KubeClient;
  /** Shared informers (`pods`, `nodes`). */
  informers: InformerFactory;
  /** Writes Scheduled and FailedScheduling Events (component `default-scheduler`). */
  recorder: EventRecorder;
  /** Default `binpack`. */
  strategy?: ScoringStrategy;
  /** The `spec.schedulerName` this scheduler serves; default `default-scheduler`. */
  schedulerName?: string;
  /** Pods decided per batch; default 1000. */
  batchSize?: number;
  /** Binding requests in flight at most; default 256. */
  concurrency?: number;
  /** How often unschedulable pods are tried again even without a change; default 60 s. */
  retryUnschedulableMs?: number;
  clock?: Clock;
  onError?: (err: unknown) => void;
  /**
   * Called for each scheduling attempt with its result, as kube-scheduler's
   * `scheduler_schedule_attempts_total`: `scheduled` (bound), `unschedulable` (no node fits) or
   * `error` (the binding failed); default: not reported.
   */
  onAttempt?: (result: 'scheduled' | 'unschedulable' | 'error') => void;
}

/** Pause before deciding again a pod whose binding failed for a reason other than a conflict. */
const BIND_RETRY_MS = 1000;

const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * The scheduler's loop (kube-scheduler's scheduling queue and binding cycle): keeps node views
 * up to date from the pod and node informers (bound pods accounted incrementally, no snapshot
 * rebuild per pod), takes pending pods in batches, decides with the pure `scheduleOnto`, counts
 * each decision at once (the "assumed" pod) and commits it with `POST pods/NAME/binding`.
 * Pods that fit nowhere get a FailedScheduling Event with kube-scheduler's message and a
 * `PodScheduled=False/Unschedulable` condition, and wait until a node or pod changes.
 */
export class SchedulerLoop implements Runnable {
  private readonly options: SchedulerLoopOptions;
  private readonly client: KubeClient;
  private readonly clock: Clock;
  private readonly pods: Informer<P>;
  private readonly nodes: Informer<N>;
  private readonly infos = new Map<string, NodeInfo>();
  private sorted: NodeInfo[] | undefined;
  /** Pod key → node it is accounted on (bound, or assumed while its binding is in flight). */
  private readonly accounted = new Map<string, string>();
  private readonly pending = new Set<string>();
  private readonly unschedulable = new Set<string>();
  private wake: (() => void) | undefined;
  private closed = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Bindings in flight, and the decisions waiting for one of them to finish. */
  private binding = 0;
  private slotWaiters: Array<() => void> = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private retryTimer: NodeJS.Timeout | undefined;
  /** Pods bound by this loop (for benchmarks and tests). */
  bound = 0;

  constructor(options: SchedulerLoopOptions) {
    this.options = options;
    this.client = options.client;
    this.clock = options.clock ?? systemClock;
    this.pods = options.informers.for<P>('pods');
    this.nodes = options.informers.for<N>('nodes');
    this.nodes.addHandlers({
      onAdd: (n) => this.nodeChanged(n),
      onUpdate: (_o, n) => this.nodeChanged(n),
      onDelete: (n) => {
        this.infos.delete(n.metadata.name ?? '');
        this.sorted = undefined;
      },
    });
    this.pods.addHandlers({
      onAdd: (p) => this.podChanged(p),
      onUpdate: (_o, p) => this.podChanged(p),
      onDelete: (p) => this.podGone(p),
    });
  }

  /** Waits for the caches, then starts deciding. */
  async start(options: { timeoutMs?: number } = {}): Promise<void> {
    await Promise.all([this.pods.start(options), this.nodes.start(options)]);
    this.loop = this.run();
    this.retryTimer = setInterval(
      () => this.retryUnschedulable(),
      this.options.retryUnschedulableMs ?? 60_000,
    );
    this.retryTimer.unref();
  }

  /** Stops deciding; waits for bindings in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.retryTimer);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.wake?.();
    for (const w of this.slotWaiters.splice(0)) w();
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  /** Pods waiting to be decided, and pods that fit nowhere (for tests and metrics). */
  get queueSizes(): { pending: number; unschedulable: number } {
    return { pending: this.pending.size, unschedulable: this.unschedulable.size };
  }

  private isOurs(pod: P): boolean {
    return (
      (pod.spec?.schedulerName ?? 'default-scheduler') === (this.options.schedulerName ?? 'default-scheduler')
    );
  }

  private nodeChanged(node: N): void {
    const name = node.metadata.name ?? '';
    const old = this.infos.get(name);
    this.infos.set(name, nodeInfo(node, old?.pods ?? []));
    if (!old) this.sorted = undefined;
    else this.sorted = this.sorted?.map((i) => (i.name === name ? this.infos.get(name)! : i));
    this.retryUnschedulable();
  }

  private podChanged(pod: P): void {
    const key = objectKey(pod);
    const node = pod.spec?.nodeName;
    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (node) {
      this.pending.delete(key);
      this.unschedulable.delete(key);
      if (finished) return this.podGone(pod);
      const was = this.accounted.get(key);
      if (was === node) return;
      if (was) removePod(this.infos.get(was) ?? emptyInfo(), pod);
      const info = this.infos.get(node);
      if (info) addPod(info, pod);
      this.accounted.set(key, node);
      return;
    }
    if (finished || pod.metadata.deletionTimestamp || !this.isOurs(pod)) return;
    if (this.accounted.has(key) || this.unschedulable.has(key)) return; // in flight, or waiting for a change
    this.pending.add(key);
    this.wake?.();
  }

  private podGone(pod: P): void {
    const key = objectKey(pod);
    this.pending.delete(key);
    this.unschedulable.delete(key);
    const node = this.accounted.get(key);
    if (node === undefined) return;
    this.accounted.delete(key);
    const info = this.infos.get(node);
    if (info) removePod(info, pod);
    this.retryUnschedulable();
  }

  private retryUnschedulable(): void {
    if (this.unschedulable.size === 0) return;
    for (const key of this.unschedulable) this.pending.add(key);
    this.unschedulable.clear();
    this.wake?.();
  }

  private nodeList(): NodeInfo[] {
    this.sorted ??= [...this.infos.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.sorted;
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 1000;
    const concurrency = this.options.concurrency ?? 256;
    while (!this.closed) {
      if (this.pending.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const batch: P[] = [];
      for (const key of this.pending) {
        this.pending.delete(key);
        const pod = this.pods.getByKey(key);
        if (pod && !pod.spec?.nodeName && !pod.metadata.deletionTimestamp) batch.push(pod);
        if (batch.length >= batchSize) break;
      }
      const placements = scheduleOnto(batch, this.nodeList(), {
        strategy: this.options.strategy ?? 'binpack',
        topScores: 1,
      });
      for (const placement of placements) {
        const pod = placement.pod as P;
        if (placement.node === undefined) {
          this.options.onAttempt?.('unschedulable');
          this.unschedulable.add(objectKey(pod));
          this.track(
            this.reportUnschedulable(pod, placement.message ?? 'no nodes available to schedule pods'),
          );
          continue;
        }
        // Assumed at once: the next decisions count this pod on its node while the binding is
        // in flight, so nothing double-books the node's resources or host ports.
        this.accounted.set(objectKey(pod), placement.node);
        while (this.binding >= concurrency && !this.closed) {
          await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
        }
        if (this.closed) return;
        this.binding++;
        this.track(
          this.bind(pod, placement.node).finally(() => {
            this.binding--;
            this.slotWaiters.shift()?.();
          }),
        );
      }
      // Let the informers deliver what the bindings changed before the next batch.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.options.onError?.(err));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async bind(pod: P, node: string): Promise<void> {
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name ?? '';
    try {
      await this.client.request('POST', `/api/v1/namespaces/${ns}/pods/${name}/binding`, {
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace: ns },
          target: { apiVersion: 'v1', kind: 'Node', name: node },
        },
      });
    } catch (err) {
      this.options.onAttempt?.('error');
      this.forget(pod, node, err);
      if (err instanceof StatusError && (err.status === 404 || err.status === 409)) return;
      throw err;
    }
    this.options.onAttempt?.('scheduled');
    this.bound++;
    this.options.recorder.event(
      { ...pod, apiVersion: 'v1', kind: 'Pod' },
      'Normal',
      'Scheduled',
      `Successfully assigned ${ns}/${name} to ${node}`,
    );
  }

  /**
   * Undoes the assumption of a binding that failed, unless the cache already shows the pod bound.
   * A pod that is gone is forgotten; one that lost a race (409) is decided again at once; after
   * any other failure (the server unreachable) it is tried again a second later.
   */
  private forget(pod: P, node: string, err: unknown): void {
    const key = objectKey(pod);
    if (this.accounted.get(key) !== node || this.pods.getByKey(key)?.spec?.nodeName) return;
    this.accounted.delete(key);
    const info = this.infos.get(node);
    if (info) removePod(info, pod);
    if (err instanceof StatusError && err.status === 404) return;
    if (!this.pods.getByKey(key) || this.closed) return;
    if (err instanceof StatusError && err.status === 409) {
      this.pending.add(key);
      this.wake?.();
      return;
    }
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.accounted.has(key) || !this.pods.getByKey(key)) return;
      this.pending.add(key);
      this.wake?.();
    }, BIND_RETRY_MS);
    timer.unref();
    this.retryTimers.add(timer);
  }

  private async reportUnschedulable(pod: P, message: string): Promise<void> {
    this.options.recorder.event(
      { ...pod, apiVersion: 'v1', kind: 'Pod' },
      'Warning',
      'FailedScheduling',
      message,
    );
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (current?.status === 'False' && current.message === message) return;
    const condition = {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
      lastTransitionTime: rfc3339(this.clock.now()),
    };
    const others = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    try {
      await this.client.patch(
        'pods',
        pod.metadata.name ?? '',
        { status: { phase: pod.status?.phase ?? 'Pending', conditions: [...others, condition] } },
        { namespace: pod.metadata.namespace ?? 'default', subresource: 'status' },
      );
    } catch (err) {
      if (err instanceof StatusError && err.status === 404) return;
      throw err;
    }
  }
}

function emptyInfo(): NodeInfo {
  return nodeInfo({ metadata: { name: '' } }, []);
}
