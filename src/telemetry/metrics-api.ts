import type { KubeObject } from '../common/kube-object.js';
import {
  cpuQuantity,
  goDuration,
  memoryQuantity,
  type PodUsage,
  type ResourceSummary,
  type Usage,
} from './resource-usage.js';

/** The resource metrics API group and version, as metrics-server serves them. */
export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

function usageQuantities(u: Usage): { cpu: string; memory: string } {
  return { cpu: cpuQuantity(u.cpuNanoCores), memory: memoryQuantity(u.memoryBytes) };
}

function meta(object: KubeObject, nowIso: string): Record<string, unknown> {
  const m = (object['metadata'] ?? {}) as {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
  };
  return {
    name: m.name ?? '',
    ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
    creationTimestamp: nowIso,
    ...(m.labels !== undefined ? { labels: m.labels } : {}),
  };
}

/**
 * The NodeMetrics of `node` from its agent's summary, or undefined while the agent has no
 * window yet (metrics-server leaves such a node out rather than report zero).
 */
export function nodeMetrics(
  node: KubeObject,
  summary: ResourceSummary,
  nowIso: string,
): KubeObject | undefined {
  if (summary.nodeUsage === undefined) return undefined;
  return {
    kind: 'NodeMetrics',
    apiVersion: API_VERSION,
    metadata: meta(node, nowIso),
    timestamp: summary.timestamp,
    window: goDuration(summary.windowSeconds),
    usage: usageQuantities(summary.nodeUsage),
  };
}

/** The PodMetrics of `pod` (its stored object, for the labels) from its usage in a summary. */
export function podMetrics(
  pod: KubeObject,
  usage: PodUsage,
  summary: ResourceSummary,
  nowIso: string,
): KubeObject {
  return {
    kind: 'PodMetrics',
    apiVersion: API_VERSION,
    metadata: meta(pod, nowIso),
    timestamp: summary.timestamp,
    window: goDuration(summary.windowSeconds),
    containers: usage.containers.map((c) => ({ name: c.name, usage: usageQuantities(c.usage) })),
  };
}

/** A `NodeMetricsList` or `PodMetricsList`. */
export function metricsList(kind: 'NodeMetrics' | 'PodMetrics', items: KubeObject[]): KubeObject {
  return { kind: `${kind}List`, apiVersion: API_VERSION, metadata: {}, items };
}
