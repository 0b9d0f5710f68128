import type { MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { resourceReplicas, type ReplicaCalculatorOptions } from './hpa-replica-calculator.js';
import { hpaPod, milli, podMetricsByName, resourceMetricStatus, type PodMetricsItem } from './hpa-status.js';

/** The outcome of an HPA's metrics for one sync: the largest proposal, its metric, the statuses. */
export interface MetricsResult {
  /** -1 when no metric gave a proposal. */
  replicas: number;
  /** The metric of the largest proposal, as upstream names it in events. */
  metric: string;
  statuses: MetricStatus[];
  /** Set when the result must not be acted on (upstream's invalid-metrics rule). */
  error?: string;
}

/**
 * Upstream's computeReplicasForMetrics for Resource metrics, pure: a proposal per metric, the
 * largest wins; a metric that fails is skipped, and the result is an error when every metric
 * failed or when one failed and the others would scale down (never scale down on partial data).
 */
export function proposeReplicas(
  input: {
    metrics: MetricSpec[];
    pods: Pod[];
    items: PodMetricsItem[];
    current: number;
    now: number;
    /** Why the metrics API could not be read, if it could not. */
    fetchError?: string;
  },
  options: ReplicaCalculatorOptions = {},
): MetricsResult {
  const out: MetricsResult = { replicas: -1, metric: '', statuses: [] };
  let firstError: string | undefined;
  for (const spec of input.metrics) {
    const r = spec.type === 'Resource' ? spec.resource : undefined;
    if (r === undefined) {
      firstError ??= `metric type ${spec.type} is not supported`;
      continue;
    }
    try {
      if (input.fetchError !== undefined) throw new Error(input.fetchError);
      const target =
        r.target.type === 'Utilization'
          ? { resource: r.name, utilization: r.target.averageUtilization ?? 80 }
          : { resource: r.name, averageValue: milli(r.target.averageValue) };
      const p = resourceReplicas(
        {
          currentReplicas: input.current,
          pods: input.pods.map((x) => hpaPod(x, r.name)),
          metrics: podMetricsByName(input.items, r.name),
          target,
          now: input.now,
        },
        options,
      );
      out.statuses.push(resourceMetricStatus(r.name, p.averageValue, p.utilization));
      if (p.replicas > out.replicas) {
        out.replicas = p.replicas;
        out.metric =
          r.target.type === 'Utilization'
            ? `${r.name} resource utilization (percentage of request)`
            : `${r.name} resource`;
      }
    } catch (err) {
      firstError ??= `failed to get ${r.name} utilization: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const specs = input.metrics.length;
  const invalid = specs - out.statuses.length;
  if (firstError !== undefined && (invalid >= specs || out.replicas < input.current)) out.error = firstError;
  return out;
}
