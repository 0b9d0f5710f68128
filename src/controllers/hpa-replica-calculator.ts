/**
 * The HorizontalPodAutoscaler's replica calculation for Resource metrics, as upstream's
 * `replica_calculator.go` (GetResourceReplicas, GetRawResourceReplicas): pure, over plain values,
 * so every upstream case is a table test. Quantities are integers in milli-units (millicores,
 * milli-bytes for memory) as upstream's `MilliValue()`.
 */

/** A pod the scale target's selector matches, with what the calculation reads of it. */
export interface HpaPod {
  name: string;
  phase: string;
  deleting: boolean;
  /** status.startTime in ms; undefined before the kubelet started it. */
  startTime: number | undefined;
  /** The Ready condition: undefined when the pod has none. */
  ready: { status: boolean; lastTransitionTime: number } | undefined;
  /** The sum of the containers' requests of the resource (milli-units); undefined when a container has none. */
  request: number | undefined;
}

/** One pod's usage of the resource from the metrics API. */
export interface HpaPodMetric {
  /** Summed over the pod's containers, milli-units. */
  value: number;
  /** When the sample was taken (ms). */
  timestamp: number;
  /** The sample's window (ms). */
  windowMs: number;
}

/** The knobs of the calculation; defaults as kube-controller-manager's flags. */
export interface ReplicaCalculatorOptions {
  /** --horizontal-pod-autoscaler-tolerance; default 0.1. */
  tolerance?: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period; default 5 min. */
  cpuInitializationPeriodMs?: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay; default 30 s. */
  initialReadinessDelayMs?: number;
}

/** The outcome for one metric: the replica proposal and the current value for the status. */
export interface ReplicaProposal {
  replicas: number;
  /** Average utilization in percent of request (Utilization targets). */
  utilization?: number;
  /** Average usage per pod, milli-units. */
  averageValue: number;
}

/** Why no proposal could be made (upstream's error texts). */
export class ReplicaCalculationError extends Error {
  override readonly name = 'ReplicaCalculationError';
}

interface Groups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/** Upstream's groupPods: which pods count, which lack metrics, which are ignored or unready. */
function groupPods(
  pods: HpaPod[],
  metrics: Map<string, HpaPodMetric>,
  resource: string,
  now: number,
  o: Required<ReplicaCalculatorOptions>,
): Groups {
  const g: Groups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    if (pod.deleting || pod.phase === 'Failed' || pod.phase === 'Pending') {
      g.ignored.add(pod.name);
      continue;
    }
    const metric = metrics.get(pod.name);
    if (metric === undefined) {
      g.missing.add(pod.name);
      continue;
    }
    if (resource === 'cpu') {
      let unready: boolean;
      const c = pod.ready;
      if (c === undefined || pod.startTime === undefined) unready = true;
      else if (pod.startTime + o.cpuInitializationPeriodMs > now) {
        // Within the initialization period: ignore the sample if unready, or if it does not yet
        // cover a full window since the last readiness change.
        unready = !c.status || metric.timestamp < c.lastTransitionTime + metric.windowMs;
      } else {
        // Afterwards: ignore it only if the pod is unready and has never been ready.
        unready = !c.status && pod.startTime + o.initialReadinessDelayMs > c.lastTransitionTime;
      }
      if (unready) {
        g.unready.add(pod.name);
        continue;
      }
    }
    g.readyCount++;
  }
  return g;
}

/** Upstream's GetResourceUtilizationRatio: integer utilization of the pods that have a request. */
function utilizationRatio(
  metrics: Map<string, number>,
  requests: Map<string, number>,
  target: number,
): { ratio: number; utilization: number; average: number } {
  let total = 0;
  let requested = 0;
  let n = 0;
  for (const [name, value] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    total += value;
    requested += r;
    n++;
  }
  if (requested === 0) throw new ReplicaCalculationError('no metrics returned matched known pods');
  const utilization = Math.trunc((total * 100) / requested);
  return { ratio: utilization / target, utilization, average: Math.trunc(total / n) };
}

function plainRatio(metrics: Map<string, number>, target: number): { ratio: number; average: number } {
  let total = 0;
  for (const v of metrics.values()) total += v;
  const average = Math.trunc(total / metrics.size);
  return { ratio: average / target, average };
}

/** What a calculation is given besides the pods and their metrics. */
export interface ResourceTarget {
  resource: string;
  /** Target average utilization in percent (Utilization) … */
  utilization?: number;
  /** … or target average value per pod, milli-units (AverageValue). */
  averageValue?: number;
}

/**
 * Upstream's replica count for a Resource metric: ratio of current to target, a no-op within
 * `tolerance`; pods missing metrics count as 100 % of request (or the target, if higher) on a
 * scale-down and 0 on a scale-up; on a scale-up, unready cpu pods count as 0; a recomputed
 * ratio that flips direction or falls within tolerance keeps the current count. Throws
 * ReplicaCalculationError when nothing can be computed.
 */
export function resourceReplicas(
  input: {
    currentReplicas: number;
    pods: HpaPod[];
    metrics: Map<string, HpaPodMetric>;
    target: ResourceTarget;
    now: number;
  },
  options: ReplicaCalculatorOptions = {},
): ReplicaProposal {
  const o: Required<ReplicaCalculatorOptions> = {
    tolerance: options.tolerance ?? 0.1,
    cpuInitializationPeriodMs: options.cpuInitializationPeriodMs ?? 300_000,
    initialReadinessDelayMs: options.initialReadinessDelayMs ?? 30_000,
  };
  const { currentReplicas, pods, target, now } = input;
  if (pods.length === 0)
    throw new ReplicaCalculationError('no pods returned by selector while calculating replica count');
  const g = groupPods(pods, input.metrics, target.resource, now, o);
  const metrics = new Map<string, number>();
  for (const [name, m] of input.metrics) {
    if (g.ignored.has(name) || g.unready.has(name)) continue;
    if (!pods.some((p) => p.name === name)) continue;
    metrics.set(name, m.value);
  }
  if (metrics.size === 0)
    throw new ReplicaCalculationError('did not receive metrics for targeted pods (pods might be unready)');

  const utilizationTarget = target.utilization;
  const requests = new Map<string, number>();
  if (utilizationTarget !== undefined) {
    for (const p of pods) {
      if (p.request === undefined)
        throw new ReplicaCalculationError(`missing request for ${target.resource} in pod ${p.name}`);
      requests.set(p.name, p.request);
    }
  }
  const measure = (m: Map<string, number>): { ratio: number; utilization?: number; average: number } =>
    utilizationTarget !== undefined
      ? utilizationRatio(m, requests, utilizationTarget)
      : plainRatio(m, target.averageValue ?? 1);
  const first = measure(metrics);
  const result = (replicas: number): ReplicaProposal => ({
    replicas,
    ...(first.utilization !== undefined ? { utilization: first.utilization } : {}),
    averageValue: first.average,
  });
  const ratio = first.ratio;
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - ratio) <= o.tolerance) return result(currentReplicas);
    return result(Math.ceil(ratio * g.readyCount));
  }
  if (g.missing.size > 0) {
    for (const name of g.missing) {
      if (ratio < 1) {
        metrics.set(
          name,
          utilizationTarget !== undefined
            ? Math.trunc(((requests.get(name) ?? 0) * Math.max(100, utilizationTarget)) / 100)
            : (target.averageValue ?? 0),
        );
      } else if (ratio > 1) metrics.set(name, 0);
    }
  }
  if (scaleUpWithUnready) for (const name of g.unready) metrics.set(name, 0);
  const again = measure(metrics).ratio;
  if (Math.abs(1 - again) <= o.tolerance || (ratio < 1 && again > 1) || (ratio > 1 && again < 1)) {
    return result(currentReplicas);
  }
  const replicas = Math.ceil(again * metrics.size);
  if ((again < 1 && replicas > currentReplicas) || (again > 1 && replicas < currentReplicas)) {
    return result(currentReplicas);
  }
  return result(replicas);
}
