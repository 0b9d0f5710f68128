/**
 * Pure helpers of the HPA controller: reading the pods and metrics it calculates from, and
 * building the status it writes (conditions that keep their transition time, metric statuses).
 */
import type {
  HPAScalingRules,
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerCondition,
  MetricStatus,
} from 'kubernetes-types/autoscaling/v2.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../common/quantity.js';
import { defaultScaleDownRules, defaultScaleUpRules } from '../resources/index.js';
import type { ConditionUpdate, ScalingRules } from './hpa-behavior.js';
import type { HpaPod, HpaPodMetric } from './hpa-replica-calculator.js';

/** A quantity in milli-units (upstream's MilliValue), 0 when unparsable. */
export function milli(q: string | number | undefined): number {
  return Math.round((parseQuantity(q ?? 0) ?? 0) * 1000);
}

/** What the calculation reads of a pod: phase, readiness, start, the sum of its containers' requests. */
export function hpaPod(pod: Pod, resource: string): HpaPod {
  let request: number | undefined = 0;
  for (const c of pod.spec?.containers ?? []) {
    const r = c.resources?.requests?.[resource];
    if (r === undefined) request = undefined;
    else if (request !== undefined) request += milli(r);
  }
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const time = (t: string | undefined): number | undefined => (t === undefined ? undefined : Date.parse(t));
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Pending',
    deleting: pod.metadata?.deletionTimestamp !== undefined,
    startTime: time(pod.status?.startTime),
    ready:
      ready === undefined
        ? undefined
        : { status: ready.status === 'True', lastTransitionTime: time(ready.lastTransitionTime) ?? 0 },
    request,
  };
}

/** A PodMetrics object as the metrics API serves it. */
export interface PodMetricsItem {
  metadata?: { name?: string };
  timestamp?: string;
  window?: string;
  containers?: Array<{ name?: string; usage?: Record<string, string> }>;
}

/** A Go duration such as `15s` or `1m0.5s`, in ms. */
function durationMs(d: string | undefined): number {
  let ms = 0;
  for (const m of (d ?? '').matchAll(/([\d.]+)(h|ms|m|s)/g)) {
    const n = Number(m[1]);
    ms += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
  }
  return ms;
}

/** Each pod's usage of `resource` (milli-units, summed over containers) by pod name. */
export function podMetricsByName(items: PodMetricsItem[], resource: string): Map<string, HpaPodMetric> {
  const out = new Map<string, HpaPodMetric>();
  for (const i of items) {
    const value = (i.containers ?? []).reduce((s, c) => s + milli(c.usage?.[resource]), 0);
    out.set(i.metadata?.name ?? '', {
      value,
      timestamp: Date.parse(i.timestamp ?? '') || 0,
      windowMs: durationMs(i.window),
    });
  }
  return out;
}

/** The status of a Resource metric: the average utilization and value (`250m`, bytes for memory). */
export function resourceMetricStatus(
  resource: string,
  averageMilli: number,
  utilization?: number,
): MetricStatus {
  const averageValue = resource === 'cpu' ? `${averageMilli}m` : String(Math.trunc(averageMilli / 1000));
  return {
    type: 'Resource',
    resource: {
      name: resource,
      current: { averageValue, ...(utilization !== undefined ? { averageUtilization: utilization } : {}) },
    },
  };
}

/** Sets conditions in place of those of the same type, keeping lastTransitionTime when the status stays. */
export function mergeConditions(
  old: HorizontalPodAutoscalerCondition[] | undefined,
  updates: ConditionUpdate[],
  nowIso: string,
): HorizontalPodAutoscalerCondition[] {
  const out = [...(old ?? [])];
  for (const u of updates) {
    const i = out.findIndex((c) => c.type === u.type);
    const before = i >= 0 ? out[i] : undefined;
    const next: HorizontalPodAutoscalerCondition = {
      ...u,
      lastTransitionTime:
        before !== undefined && before.status === u.status && before.lastTransitionTime
          ? before.lastTransitionTime
          : nowIso,
    };
    if (i >= 0) out[i] = next;
    else out.push(next);
  }
  const order = ['AbleToScale', 'ScalingActive', 'ScalingLimited'];
  return out.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
}

/** The HPA's behavior with upstream's defaults for what is unset (also for an HPA with no `behavior`). */
export function behaviorRules(hpa: HorizontalPodAutoscaler): {
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
} {
  const fill = (r: HPAScalingRules | undefined, d: HPAScalingRules): ScalingRules => ({
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? d.stabilizationWindowSeconds ?? 0,
    selectPolicy: (r?.selectPolicy ?? 'Max') as ScalingRules['selectPolicy'],
    policies: (r?.policies?.length ? r.policies : (d.policies ?? [])).map((p) => ({
      type: p.type as 'Pods' | 'Percent',
      value: p.value,
      periodSeconds: p.periodSeconds,
    })),
  });
  return {
    scaleUp: fill(hpa.spec?.behavior?.scaleUp, defaultScaleUpRules()),
    scaleDown: fill(hpa.spec?.behavior?.scaleDown, defaultScaleDownRules()),
  };
}
