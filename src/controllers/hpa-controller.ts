import type {
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerSpec,
  MetricStatus,
} from 'kubernetes-types/autoscaling/v2.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { StatusError, type EventRecorder } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { compileLabelSelector } from '../common/selector.js';
import { Controller, type Informer, objectKey } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import {
  newScalingHistory,
  normalizeWithBehavior,
  recordScale,
  type ConditionUpdate,
  type ScalingHistory,
} from './hpa-behavior.js';
import type { ReplicaCalculatorOptions } from './hpa-replica-calculator.js';
import { proposeReplicas, type MetricsResult } from './hpa-metrics.js';
import { behaviorRules, mergeConditions, type PodMetricsItem } from './hpa-status.js';

type H = HorizontalPodAutoscaler & KubeObject & { spec: HorizontalPodAutoscalerSpec };
type HpaStatus = NonNullable<HorizontalPodAutoscaler['status']>;
type P = Pod & KubeObject;

/** Options of the HPA controller; defaults as kube-controller-manager's flags. */
export interface HpaControllerOptions extends ReplicaCalculatorOptions {
  /** --horizontal-pod-autoscaler-sync-period: how often each HPA is evaluated; default 15 s. */
  syncPeriodMs?: number;
}

interface Scale {
  metadata?: { resourceVersion?: string };
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/**
 * The HorizontalPodAutoscaler controller (upstream's podautoscaler): every `syncPeriodMs` each
 * HPA reads its target's scale subresource (replicas and selector), the PodMetrics of the pods
 * the selector matches (from `metrics.k8s.io`, as upstream's REST metrics client: the controller
 * layer has no other way to the agents' summaries), proposes a count per Resource metric
 * (`hpa-replica-calculator.ts`), takes the largest, stabilizes and rate-limits it by `behavior`
 * (`hpa-behavior.ts`, upstream's defaults when unset), writes the scale, then the status with
 * AbleToScale, ScalingActive and ScalingLimited, and records SuccessfulRescale Events. The
 * recommendation and scale-event history is kept in memory per HPA, as upstream's.
 */
export class HpaController extends Controller {
  readonly name = 'horizontalpodautoscaler';
  private readonly ctx: ControllerContext;
  private readonly hpas: Informer<H>;
  private readonly pods: Informer<P>;
  private readonly recorder: EventRecorder;
  private readonly options: HpaControllerOptions;
  private readonly syncPeriodMs: number;
  private readonly history = new Map<string, ScalingHistory>();

  constructor(ctx: ControllerContext, options: HpaControllerOptions = {}) {
    super({
      clock: ctx.clock,
      workers: 2,
      onError: (key, err) => ctx.onError?.('horizontalpodautoscaler', key, err),
    });
    this.ctx = ctx;
    this.options = options;
    this.syncPeriodMs = options.syncPeriodMs ?? 15_000;
    this.recorder = ctx.recorder('horizontal-pod-autoscaler');
    this.hpas = ctx.informers.for<H>('horizontalpodautoscalers');
    this.pods = ctx.informers.for<P>('pods');
    this.hpas.addHandlers({
      onAdd: (h) => this.enqueue(objectKey(h)),
      onUpdate: (o, h) => {
        if (JSON.stringify(o.spec) !== JSON.stringify(h.spec)) this.enqueue(objectKey(h));
      },
      onDelete: (h) => {
        this.history.delete(objectKey(h));
      },
    });
  }

  protected informers(): Informer[] {
    return [this.hpas, this.pods] as unknown as Informer[];
  }

  override async close(): Promise<void> {
    await super.close();
    await this.recorder.close();
  }

  async reconcile(key: string): Promise<void> {
    const hpa = this.hpas.getByKey(key);
    if (!hpa?.spec || hpa.metadata.deletionTimestamp) return;
    try {
      await this.sync(key, hpa);
    } finally {
      this.queue.addAfter(key, this.syncPeriodMs);
    }
  }

  private async sync(key: string, hpa: H): Promise<void> {
    const ns = hpa.metadata.namespace ?? 'default';
    const ref = hpa.spec.scaleTargetRef;
    const now = this.clock.now();
    let scalePath: string;
    let scale: Scale;
    try {
      const info = await this.ctx.client.resolveKind(ref.apiVersion ?? 'apps/v1', ref.kind);
      scalePath = this.ctx.client.path(info, { namespace: ns }, ref.name, 'scale');
      scale = (await this.ctx.client.request<Scale>('GET', scalePath)).body;
    } catch (err) {
      const message = `the HPA controller was unable to get the target's current scale: ${String(err)}`;
      this.recorder.event(hpa, 'Warning', 'FailedGetScale', message);
      await this.writeStatus(hpa, {
        conditions: [{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message }],
      });
      return;
    }
    const current = scale.spec?.replicas ?? 0;
    const min = hpa.spec.minReplicas ?? 1;
    const max = hpa.spec.maxReplicas;
    let h = this.history.get(key);
    if (h === undefined) this.history.set(key, (h = newScalingHistory(current, now)));
    const conditions: ConditionUpdate[] = [
      {
        type: 'AbleToScale',
        status: 'True',
        reason: 'SucceededGetScale',
        message: "the HPA controller was able to get the target's current scale",
      },
    ];
    let desired = current;
    let reason = '';
    let statuses: MetricStatus[] | undefined;
    if (current === 0 && min !== 0) {
      desired = 0;
      conditions.push({
        type: 'ScalingActive',
        status: 'False',
        reason: 'ScalingDisabled',
        message: 'scaling is disabled since the replica count of the target is zero',
      });
    } else if (current > max) {
      desired = max;
      reason = 'Current number of replicas above Spec.MaxReplicas';
    } else if (current < min) {
      desired = min;
      reason = 'Current number of replicas below Spec.MinReplicas';
    } else {
      const m = await this.computeReplicas(hpa, current, scale.status?.selector ?? '', now);
      statuses = m.statuses;
      if (m.error !== undefined) {
        const message = `the HPA was unable to compute the replica count: ${m.error}`;
        if (hpa.status?.conditions?.find((c) => c.type === 'ScalingActive')?.message !== message)
          this.recorder.event(hpa, 'Warning', 'FailedGetResourceMetric', m.error);
        await this.writeStatus(hpa, {
          currentReplicas: current,
          desiredReplicas: current,
          currentMetrics: m.statuses,
          conditions: [
            ...conditions,
            { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message },
          ],
        });
        return;
      }
      conditions.push({
        type: 'ScalingActive',
        status: 'True',
        reason: 'ValidMetricFound',
        message: `the HPA was able to successfully calculate a replica count from ${m.metric}`,
      });
      if (m.replicas > current) reason = `${m.metric} above target`;
      if (m.replicas < current) reason = 'All metrics below target';
      const rules = behaviorRules(hpa);
      const n = normalizeWithBehavior(
        {
          currentReplicas: current,
          desiredReplicas: m.replicas,
          minReplicas: min,
          maxReplicas: max,
          ...rules,
        },
        h,
        now,
      );
      desired = n.replicas;
      conditions.push(...n.conditions);
    }
    const rescale = desired !== current;
    if (rescale) {
      try {
        await this.ctx.client.request('PUT', scalePath, {
          body: {
            kind: 'Scale',
            apiVersion: 'autoscaling/v1',
            metadata: { name: ref.name, namespace: ns, resourceVersion: scale.metadata?.resourceVersion },
            spec: { replicas: desired },
          },
        });
      } catch (err) {
        const message = `the HPA controller was unable to update the target scale: ${String(err)}`;
        this.recorder.event(
          hpa,
          'Warning',
          'FailedRescale',
          `New size: ${desired}; reason: ${reason}; error: ${String(err)}`,
        );
        await this.writeStatus(hpa, {
          conditions: [{ type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message }],
        });
        throw err;
      }
      recordScale(h, behaviorRules(hpa), current, desired, now);
      conditions.push({
        type: 'AbleToScale',
        status: 'True',
        reason: 'SucceededRescale',
        message: `the HPA controller was able to update the target scale to ${desired}`,
      });
      this.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
    }
    await this.writeStatus(hpa, {
      currentReplicas: current,
      desiredReplicas: desired,
      ...(statuses !== undefined ? { currentMetrics: statuses } : {}),
      ...(rescale ? { lastScaleTime: rfc3339(now) } : {}),
      conditions,
    });
  }

  /** Upstream's computeReplicasForMetrics for Resource metrics: the largest proposal wins. */
  private async computeReplicas(
    hpa: H,
    current: number,
    selector: string,
    now: number,
  ): Promise<MetricsResult> {
    const ns = hpa.metadata.namespace ?? 'default';
    const match = compileLabelSelector(selector);
    const pods = this.pods.list({ namespace: ns, match: (p) => match(p.metadata.labels) });
    let items: PodMetricsItem[] = [];
    let fetchError: string | undefined;
    try {
      const path = `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(ns)}/pods`;
      items =
        (
          await this.ctx.client.request<{ items?: PodMetricsItem[] }>('GET', path, {
            query: { labelSelector: selector },
          })
        ).body.items ?? [];
    } catch (err) {
      fetchError = `unable to get metrics for resource: unable to fetch metrics from resource metrics API: ${String(err)}`;
    }
    return proposeReplicas(
      {
        metrics: hpa.spec.metrics ?? [],
        pods,
        items,
        current,
        now,
        ...(fetchError !== undefined ? { fetchError } : {}),
      },
      this.options,
    );
  }

  /** Merges a status update into the stored one and writes it when it changed. */
  private async writeStatus(
    hpa: H,
    update: Partial<Omit<HpaStatus, 'conditions'>> & { conditions: ConditionUpdate[] },
  ): Promise<void> {
    const now = rfc3339(this.clock.now());
    const old: Partial<HpaStatus> = hpa.status ?? {};
    const status = {
      ...old,
      ...update,
      currentReplicas: update.currentReplicas ?? old.currentReplicas ?? 0,
      desiredReplicas: update.desiredReplicas ?? old.desiredReplicas ?? 0,
      ...(hpa.metadata.generation !== undefined ? { observedGeneration: hpa.metadata.generation } : {}),
      conditions: mergeConditions(old.conditions, update.conditions, now),
    };
    if (JSON.stringify(status) === JSON.stringify(old)) return;
    try {
      await this.ctx.client.patch(
        'horizontalpodautoscalers',
        hpa.metadata.name ?? '',
        { status: { ...status, currentMetrics: status.currentMetrics ?? null } },
        { namespace: hpa.metadata.namespace ?? '', subresource: 'status' },
      );
    } catch (err) {
      if (!(err instanceof StatusError && err.status === 404)) throw err;
    }
  }
}

/** A time as Kubernetes' metav1.Time serializes it: RFC 3339 in whole seconds. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
