import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../common/kube-object.js';
import { formatQuantity, milliValue, type ExactQuantity } from '../../common/exact-quantity.js';
import { podResources } from './pod-usage.js';
import { parseResourceList, type ResourceList } from './resource-list.js';

/** One entry of a LimitRange's `spec.limits`. */
export interface LimitRangeItem {
  type?: string;
  default?: Record<string, string>;
  defaultRequest?: Record<string, string>;
  min?: Record<string, string>;
  max?: Record<string, string>;
  maxLimitRequestRatio?: Record<string, string>;
}

/** The annotation LimitRanger leaves on a pod it gave defaults to. */
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

function items(limitRange: KubeObject): LimitRangeItem[] {
  return ((limitRange.spec as { limits?: LimitRangeItem[] } | undefined)?.limits ?? []).filter(
    (i) => i !== null && typeof i === 'object',
  );
}

/**
 * Kubernetes' defaults for a LimitRange item of type Container (SetDefaults_LimitRangeItem): a
 * missing default limit is the max, a missing default request the default limit, then the min.
 * Changes `item` in place.
 */
export function defaultLimitRangeItem(item: LimitRangeItem): void {
  if (item.type !== 'Container') return;
  const limits = (item.default ??= {});
  const requests = (item.defaultRequest ??= {});
  for (const [k, v] of Object.entries(item.max ?? {})) limits[k] ??= v;
  for (const [k, v] of Object.entries(limits)) requests[k] ??= v;
  for (const [k, v] of Object.entries(item.min ?? {})) requests[k] ??= v;
}

/**
 * Gives every container (and init container) of a pod the default requests and limits of a
 * LimitRange's Container items where it sets none, and records what it set in the
 * `kubernetes.io/limit-ranger` annotation (`LimitRanger plugin set: cpu request for container
 * web`), as kube-apiserver's LimitRanger does on pod creation. Changes `pod` in place.
 */
export function applyLimitRangeDefaults(pod: Pod, limitRange: KubeObject): void {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  for (const item of items(limitRange)) {
    if (item.type !== 'Container') continue;
    Object.assign(requests, item.defaultRequest ?? {});
    Object.assign(limits, item.default ?? {});
  }
  const notes: string[] = [];
  const fill = (c: Container, what: string): void => {
    const resources = (c.resources ??= {});
    const setRequests: string[] = [];
    const setLimits: string[] = [];
    const fillIn = (have: Record<string, string>, defaults: Record<string, string>, set: string[]): void => {
      for (const [k, v] of Object.entries(defaults)) {
        if (k in have) continue;
        have[k] = v;
        set.push(k);
      }
    };
    fillIn((resources.limits ??= {}), limits, setLimits);
    fillIn((resources.requests ??= {}), requests, setRequests);
    if (Object.keys(resources.limits ?? {}).length === 0) delete resources.limits;
    if (Object.keys(resources.requests ?? {}).length === 0) delete resources.requests;
    if (setRequests.length > 0) notes.push(`${setRequests.sort().join(', ')} request for ${what} ${c.name}`);
    if (setLimits.length > 0) notes.push(`${setLimits.sort().join(', ')} limit for ${what} ${c.name}`);
  };
  for (const c of pod.spec?.containers ?? []) fill(c, 'container');
  for (const c of pod.spec?.initContainers ?? []) fill(c, 'init container');
  if (notes.length === 0) return;
  const meta = (pod.metadata ??= {});
  meta.annotations = {
    ...meta.annotations,
    [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}`,
  };
}

function minError(
  kind: string,
  r: string,
  min: ExactQuantity,
  requests: ResourceList,
  limits: ResourceList,
): string | undefined {
  const req = requests.get(r);
  const lim = limits.get(r);
  const bound = formatQuantity(min);
  if (req === undefined) return `minimum ${r} usage per ${kind} is ${bound}.  No request is specified`;
  if (milliValue(req) < milliValue(min))
    return `minimum ${r} usage per ${kind} is ${bound}, but request is ${formatQuantity(req)}`;
  if (lim !== undefined && milliValue(lim) < milliValue(min))
    return `minimum ${r} usage per ${kind} is ${bound}, but limit is ${formatQuantity(lim)}`;
  return undefined;
}

function maxError(
  kind: string,
  r: string,
  max: ExactQuantity,
  requests: ResourceList,
  limits: ResourceList,
): string | undefined {
  const req = requests.get(r);
  const lim = limits.get(r);
  const bound = formatQuantity(max);
  if (lim === undefined) return `maximum ${r} usage per ${kind} is ${bound}.  No limit is specified`;
  if (milliValue(lim) > milliValue(max))
    return `maximum ${r} usage per ${kind} is ${bound}, but limit is ${formatQuantity(lim)}`;
  if (req !== undefined && milliValue(req) > milliValue(max))
    return `maximum ${r} usage per ${kind} is ${bound}, but request is ${formatQuantity(req)}`;
  return undefined;
}

function ratioError(
  kind: string,
  r: string,
  ratio: ExactQuantity,
  requests: ResourceList,
  limits: ResourceList,
): string | undefined {
  const req = requests.get(r);
  const lim = limits.get(r);
  const bound = formatQuantity(ratio);
  if (req === undefined || req.nanos === 0n)
    return `${r} max limit to request ratio per ${kind} is ${bound}, but no request is specified or request is 0`;
  if (lim === undefined || lim.nanos === 0n)
    return `${r} max limit to request ratio per ${kind} is ${bound}, but no limit is specified or limit is 0`;
  const observed = Number(milliValue(lim)) / Number(milliValue(req));
  if (observed * 1000 > Number(milliValue(ratio)))
    return `${r} max limit to request ratio per ${kind} is ${bound}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

function boundErrors(
  kind: string,
  item: LimitRangeItem,
  requests: ResourceList,
  limits: ResourceList,
): string[] {
  const out: Array<string | undefined> = [];
  for (const [r, q] of parseResourceList(item.min)) out.push(minError(kind, r, q, requests, limits));
  for (const [r, q] of parseResourceList(item.max)) out.push(maxError(kind, r, q, requests, limits));
  for (const [r, q] of parseResourceList(item.maxLimitRequestRatio))
    out.push(ratioError(kind, r, q, requests, limits));
  return out.filter((m): m is string => m !== undefined);
}

/**
 * What a pod breaks of a LimitRange's Container and Pod items (min, max, maxLimitRequestRatio),
 * in kube-apiserver's words: `maximum cpu usage per Container is 500m, but limit is 1`.
 */
export function limitRangeErrors(pod: Pod, limitRange: KubeObject): string[] {
  const out: string[] = [];
  for (const item of items(limitRange)) {
    if (item.type === 'Container') {
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
        const requests = parseResourceList(c.resources?.requests);
        const limits = parseResourceList(c.resources?.limits);
        out.push(...boundErrors('Container', item, requests, limits));
      }
    } else if (item.type === 'Pod') {
      const requests = podResources(pod, 'requests', { withOverhead: false });
      const limits = podResources(pod, 'limits', { withOverhead: false });
      out.push(...boundErrors('Pod', item, requests, limits));
    }
  }
  return out;
}

/** Go's aggregate error text: one message as is, several as `[a, b]`, repeats once. */
export function aggregateMessage(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? (unique[0] ?? '') : `[${unique.join(', ')}]`;
}
