import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { compareQuantity, quantityOf } from '../../common/exact-quantity.js';
import { addLists, parseResourceList, type ResourceList } from './resource-list.js';

/** The resource names whose use a container must declare when a quota tracks them (Kubernetes' mistake, kept). */
const MUST_DECLARE = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

/** Per key, the larger of the two. */
function maxLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) {
    const have = out.get(k);
    if (have === undefined || compareQuantity(v, have) > 0) out.set(k, v);
  }
  return out;
}

/**
 * What a pod asks for of `field` (`requests` or `limits`), as Kubernetes' resource helper
 * computes it: the sum of its containers, or more when an init container needs more while it
 * runs (restartable init containers, sidecars, run beside the app and add to it), plus the
 * pod's overhead unless `withOverhead` is false (LimitRange bounds leave it out; default true).
 */
export function podResources(
  pod: Pod,
  field: 'requests' | 'limits',
  options: { withOverhead?: boolean } = {},
): ResourceList {
  const of = (c: Container): ResourceList => parseResourceList(c.resources?.[field]);
  let total: ResourceList = new Map();
  for (const c of pod.spec?.containers ?? []) total = addLists(total, of(c));
  let sidecars: ResourceList = new Map();
  let initPeak: ResourceList = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    let need = of(c);
    if (c.restartPolicy === 'Always') {
      total = addLists(total, need);
      sidecars = addLists(sidecars, need);
      need = sidecars;
    } else {
      need = addLists(need, sidecars);
    }
    initPeak = maxLists(initPeak, need);
  }
  total = maxLists(total, initPeak);
  const overhead = parseResourceList(options.withOverhead === false ? undefined : pod.spec?.overhead);
  return overhead.size > 0 ? addLists(total, overhead) : total;
}

/**
 * False once a pod no longer holds compute resources: it reached Succeeded or Failed, or its
 * deletion's grace period ran out (Kubernetes' QuotaV1Pod).
 */
export function podHoldsResources(pod: Pod, nowMs: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const deleted = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (deleted !== undefined && grace !== undefined) {
    return nowMs <= Date.parse(deleted) + grace * 1000;
  }
  return true;
}

/** `pods` plus the cpu/memory/ephemeral-storage names a requests/limits pair charges. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', quantityOf(1)]]);
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const request = requests.get(r);
    if (request !== undefined) {
      out.set(r, request);
      out.set(`requests.${r}`, request);
    }
    const limit = limits.get(r);
    if (limit !== undefined) out.set(`limits.${r}`, limit);
  }
  for (const [r, request] of requests) {
    if (r.startsWith('hugepages-')) out.set(r, request).set(`requests.${r}`, request);
    else if (r.includes('/') && !r.startsWith('kubernetes.io/')) out.set(`requests.${r}`, request);
  }
  return out;
}

/**
 * A pod's quota usage (Kubernetes' PodUsageFunc): `count/pods` always, and `pods`, cpu, memory
 * and the rest only while it holds resources.
 */
export function podUsage(pod: Pod, nowMs: number): ResourceList {
  const out: ResourceList = new Map([['count/pods', quantityOf(1)]]);
  if (!podHoldsResources(pod, nowMs)) return out;
  return addLists(out, computeUsage(podResources(pod, 'requests'), podResources(pod, 'limits')));
}

/**
 * Kubernetes' pod quota constraint: when a quota tracks cpu or memory, every container must
 * declare them. Returns `must specify limits.cpu for: a,b; requests.memory for: a` or undefined.
 */
export function podConstraintError(pod: Pod, required: readonly string[]): string | undefined {
  const needed = required.filter((r) => MUST_DECLARE.includes(r));
  if (needed.length === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const c of containers) {
    const has = computeUsage(
      parseResourceList(c.resources?.requests),
      parseResourceList(c.resources?.limits),
    );
    for (const r of needed) {
      if (!has.has(r)) missing.set(r, (missing.get(r) ?? new Set()).add(c.name));
    }
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()]
    .sort()
    .map((r) => `${r} for: ${[...(missing.get(r) ?? [])].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

/** True when no container requests or limits cpu or memory (QoS class BestEffort). */
export function isBestEffort(pod: Pod): boolean {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return containers.every((c) =>
    [c.resources?.requests, c.resources?.limits].every((list) => {
      const parsed = parseResourceList(list);
      return ['cpu', 'memory'].every((r) => (parsed.get(r)?.nanos ?? 0n) === 0n);
    }),
  );
}
