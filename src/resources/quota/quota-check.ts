import type { KubeObject } from '../../common/kube-object.js';
import { evaluatorFor, type ScopeRequirement } from './quota-evaluator.js';
import {
  addLists,
  exceededKeys,
  maskList,
  parseResourceList,
  prettyPrint,
  removeZeros,
  subtractNonNegative,
  type ResourceList,
} from './resource-list.js';

/** What admission needs of one ResourceQuota: its name, `status.hard`, `status.used`, scopes. */
export interface QuotaState {
  name: string;
  hard: ResourceList;
  used: ResourceList;
  scopes: ScopeRequirement[];
}

interface QuotaShape {
  spec?: { scopes?: string[]; scopeSelector?: { matchExpressions?: ScopeRequirement[] } };
  status?: { hard?: unknown; used?: unknown };
}

/** The scope requirements of a quota: `spec.scopes` (as Exists) and `spec.scopeSelector`. */
export function quotaScopes(quota: KubeObject): ScopeRequirement[] {
  const spec = (quota as QuotaShape).spec;
  return [
    ...(spec?.scopes ?? []).map((scopeName) => ({ scopeName, operator: 'Exists' })),
    ...(spec?.scopeSelector?.matchExpressions ?? []),
  ];
}

/** A stored ResourceQuota as admission reads it. */
export function quotaState(quota: KubeObject): QuotaState {
  const status = (quota as QuotaShape).status;
  return {
    name: quota.metadata.name ?? '',
    hard: parseResourceList(status?.hard),
    used: parseResourceList(status?.used),
    scopes: quotaScopes(quota),
  };
}

/** A write quota admission judges. */
export interface QuotaRequest {
  operation: 'create' | 'update';
  /** '' for the object itself, `status` for a status write (charged, never refused). */
  subresource: string;
  /** The store key: `pods`, `deployments.apps`. */
  groupResource: string;
  object: KubeObject;
  old?: KubeObject;
  nowMs: number;
}

/** The outcome: what to add to each quota's `used`, by quota name, or why not. */
export type QuotaVerdict = { ok: true; charges: Map<string, ResourceList> } | { ok: false; message: string };

/**
 * Kubernetes' quota admission check (apiserver's CheckRequest), without I/O: finds the quotas a
 * write falls under, refuses objects that miss a constraint (`failed quota: q: must specify …`),
 * quotas whose usage is not yet known (`status unknown for quota: …`) and writes that would
 * exceed a limit (`exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`), and
 * otherwise returns each quota's charge. Updates are charged only what they add.
 */
export function checkQuotaRequest(quotas: readonly QuotaState[], req: QuotaRequest): QuotaVerdict {
  const evaluator = evaluatorFor(req.groupResource);
  if (!evaluator.handles(req.operation, req.subresource)) return { ok: true, charges: new Map() };
  const interesting: QuotaState[] = [];
  for (const quota of quotas) {
    const restricted = evaluator.matchingResources([...quota.hard.keys()]);
    if (restricted.length === 0 || !evaluator.matchesScopes(req.object, quota.scopes)) continue;
    const why = evaluator.constraints(restricted, req.object);
    if (why !== undefined) return { ok: false, message: `failed quota: ${quota.name}: ${why}` };
    if (restricted.some((r) => !quota.used.has(r))) {
      const names = [...restricted].sort().join(',');
      return { ok: false, message: `status unknown for quota: ${quota.name}, resources: ${names}` };
    }
    interesting.push(quota);
  }
  if (interesting.length === 0) return { ok: true, charges: new Map() };
  const usage = evaluator.usage(req.object, req.nowMs);
  const negative = [...usage].filter(([, q]) => q.nanos < 0n).map(([k]) => k);
  if (negative.length > 0) {
    return { ok: false, message: `quota usage is negative for resource(s): ${negative.sort().join(',')}` };
  }
  const charges = new Map<string, ResourceList>();
  for (const quota of interesting) {
    let delta = usage;
    const old = req.old;
    if (
      req.operation === 'update' &&
      old?.metadata.resourceVersion &&
      evaluator.matchesScopes(old, quota.scopes)
    ) {
      delta = subtractNonNegative(usage, evaluator.usage(old, req.nowMs));
    }
    const requested = removeZeros(maskList(delta, quota.hard.keys()));
    if (requested.size === 0) continue;
    if (req.subresource !== 'status') {
      const wanted = maskList(addLists(quota.used, requested), requested.keys());
      const exceeded = exceededKeys(wanted, quota.hard);
      if (exceeded.length > 0) {
        return {
          ok: false,
          message:
            `exceeded quota: ${quota.name}, requested: ${prettyPrint(maskList(requested, exceeded))}, ` +
            `used: ${prettyPrint(maskList(quota.used, exceeded))}, limited: ${prettyPrint(maskList(quota.hard, exceeded))}`,
        };
      }
    }
    charges.set(quota.name, requested);
  }
  return { ok: true, charges };
}
