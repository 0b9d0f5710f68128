import type { Pod } from 'kubernetes-types/core/v1.js';
import { matchLabelSelector, type LabelSelector } from '../common/selector.js';
import { findUntoleratedTaint, matchNodeSelectorAndAffinity } from '../machinery/index.js';
import { podHostPorts, podRequests, type NodeInfo, type Resources } from './node-info.js';

/**
 * A filter says why a pod cannot go on a node, in the words kube-scheduler uses in its
 * FailedScheduling events (`Insufficient cpu`, `node(s) had untolerated taint {key: value}`),
 * or undefined when the node is fine. Every filter is pure.
 */
export type Filter = (pod: Pod, node: NodeInfo, all: NodeInfo[]) => string | undefined;

const unschedulable: Filter = (_pod, node) =>
  node.node.spec?.unschedulable ? 'node(s) were unschedulable' : undefined;

function fitsRequests(want: Resources, node: NodeInfo): string | undefined {
  const { allocatable: a, requested: r } = node;
  if (r.pods + 1 > a.pods) return 'Too many pods';
  if (want.cpu > 0 && r.cpu + want.cpu > a.cpu + 1e-9) return 'Insufficient cpu';
  if (want.memory > 0 && r.memory + want.memory > a.memory) return 'Insufficient memory';
  if (want.ephemeralStorage > 0 && r.ephemeralStorage + want.ephemeralStorage > a.ephemeralStorage) {
    return 'Insufficient ephemeral-storage';
  }
  return undefined;
}

const fitsResources: Filter = (pod, node) => fitsRequests(podRequests(pod), node);

const nodeAffinity: Filter = (pod, node) =>
  matchNodeSelectorAndAffinity(pod.spec, node.node)
    ? undefined
    : "node(s) didn't match Pod's node affinity/selector";

const taints: Filter = (pod, node) => {
  const taint = findUntoleratedTaint(
    node.node.spec?.taints,
    pod.spec?.tolerations ?? [],
    (t) => t.effect !== 'PreferNoSchedule',
  );
  return taint ? `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}` : undefined;
};

const hostPorts: Filter = (pod, node) =>
  podHostPorts(pod).some((p) => node.hostPorts.has(p))
    ? "node(s) didn't have free ports for the requested pod ports"
    : undefined;

/** Required pod anti-affinity; only the hostname topology is supported, as the issue asks. */
const podAntiAffinity: Filter = (pod, node) => {
  const terms = pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const namespace = pod.metadata?.namespace ?? 'default';
  for (const term of terms) {
    if (term.topologyKey !== 'kubernetes.io/hostname' || !term.labelSelector) continue;
    // kubernetes-types spells the operator as a plain string; the selector module checks it.
    const selector = term.labelSelector as LabelSelector;
    const namespaces = term.namespaces?.length ? term.namespaces : [namespace];
    const clash = node.pods.some(
      (other) =>
        namespaces.includes(other.metadata?.namespace ?? 'default') &&
        matchLabelSelector(selector, other.metadata?.labels ?? {}),
    );
    if (clash) return "node(s) didn't match pod anti-affinity rules";
  }
  return undefined;
};

/** The filters in the order kube-scheduler reports them. */
export const FILTERS: Filter[] = [
  unschedulable,
  nodeAffinity,
  taints,
  hostPorts,
  fitsResources,
  podAntiAffinity,
];

/** A filter with the pod's side worked out once: says why `node` cannot take the pod, or undefined. */
export type NodeFilter = (node: NodeInfo) => string | undefined;

/**
 * The filters that can reject `pod` at all, in FILTERS order (so the reason reported is the
 * same), bound to the pod: its requests are read once, and a pod without a node selector, host
 * ports or anti-affinity skips those checks on every node (most pods, and the hot path when
 * hundreds of nodes are checked per pod).
 */
export function podFilters(pod: Pod, all: NodeInfo[]): NodeFilter[] {
  const spec = pod.spec;
  const selects =
    Object.keys(spec?.nodeSelector ?? {}).length > 0 ||
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution !== undefined;
  const ports = podHostPorts(pod).length > 0;
  const anti =
    (spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).length > 0;
  const want = podRequests(pod);
  const filters: NodeFilter[] = [(node) => unschedulable(pod, node, all)];
  if (selects) filters.push((node) => nodeAffinity(pod, node, all));
  filters.push((node) => (node.node.spec?.taints?.length ? taints(pod, node, all) : undefined));
  if (ports) filters.push((node) => hostPorts(pod, node, all));
  filters.push((node) => fitsRequests(want, node));
  if (anti) filters.push((node) => podAntiAffinity(pod, node, all));
  return filters;
}
