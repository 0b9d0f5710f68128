import type { KubeObject } from '../../common/kube-object.js';
import { formatQuantity, parseExactQuantity, ZERO_QUANTITY } from '../../common/exact-quantity.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { invalid, required } from '../field-error.js';
import { ageColumn, column, nameColumn } from '../table.js';
import { quotaResourceNameErrors, resourceQuantityErrors } from '../quota/quota-names.js';
import type { ScopeRequirement } from '../quota/quota-evaluator.js';

interface QuotaSpec {
  hard?: Record<string, unknown>;
  scopes?: string[];
  scopeSelector?: { matchExpressions?: ScopeRequirement[] };
}
interface QuotaStatus {
  hard?: Record<string, unknown>;
  used?: Record<string, unknown>;
}

const SCOPES = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
];
const EXISTS_ONLY = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'CrossNamespacePodAffinity',
];
const POD_COUNT = ['pods'];
const POD_COMPUTE = ['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory'];

/** Whether a standard quota resource may be limited under a scope (IsResourceQuotaScopeValidForResource). */
function scopeValidFor(scope: string, resource: string): boolean {
  if (scope === 'BestEffort') return POD_COUNT.includes(resource);
  if (SCOPES.includes(scope)) return POD_COUNT.includes(resource) || POD_COMPUTE.includes(resource);
  return false;
}

function resourceListErrors(list: Record<string, unknown> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(list ?? {})) {
    errs.push(
      ...quotaResourceNameErrors(k, `${path}[${k}]`),
      ...resourceQuantityErrors(k, v, `${path}[${k}]`),
    );
  }
  return errs;
}

/** Scope checks shared by `spec.scopes` and the scope selector: known, valid for the limits, not conflicting. */
function scopeSetErrors(scopes: string[], hard: string[], path: string, value: unknown): FieldError[] {
  const errs: FieldError[] = [];
  for (const scope of scopes) {
    if (!SCOPES.includes(scope)) errs.push(invalid(path, value, 'unsupported scope'));
    if (hard.some((k) => !scopeValidFor(scope, k)))
      errs.push(invalid(path, value, 'unsupported scope applied to resource'));
  }
  const has = (s: string): boolean => scopes.includes(s);
  if ((has('BestEffort') && has('NotBestEffort')) || (has('Terminating') && has('NotTerminating'))) {
    errs.push(invalid(path, value, 'conflicting scopes'));
  }
  return errs;
}

function scopeErrors(spec: QuotaSpec): FieldError[] {
  const hard = Object.keys(spec.hard ?? {}).filter((k) => !k.includes('/'));
  const errs = scopeSetErrors(spec.scopes ?? [], hard, 'spec.scopes', spec.scopes);
  const expressions = spec.scopeSelector?.matchExpressions ?? [];
  const base = 'spec.scopeSelector.matchExpressions';
  errs.push(
    ...scopeSetErrors(
      expressions.map((e) => e.scopeName),
      hard,
      base,
      spec.scopeSelector,
    ),
  );
  for (const e of expressions) {
    if (EXISTS_ONLY.includes(e.scopeName) && e.operator !== 'Exists') {
      errs.push(
        invalid(
          `${base}.operator`,
          e.operator,
          "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    }
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if ((e.values ?? []).length === 0)
        errs.push(
          required(
            `${base}.values`,
            "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
          ),
        );
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if ((e.values ?? []).length > 0)
        errs.push(
          invalid(
            `${base}.values`,
            e.values,
            "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
          ),
        );
    } else {
      errs.push(invalid(`${base}.operator`, e.operator, 'not a valid selector operator'));
    }
  }
  return errs;
}

/** `pods: 1/2, requests.cpu: 500m/1` for the Request column and the `limits.*` ones for Limit. */
function usageColumns(object: KubeObject): [string, string] {
  const status = (object.status ?? {}) as QuotaStatus;
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(status.hard ?? {}).sort()) {
    const used = formatQuantity(parseExactQuantity(status.used?.[name]) ?? ZERO_QUANTITY);
    const hard = formatQuantity(parseExactQuantity(status.hard?.[name]) ?? ZERO_QUANTITY);
    (name.split('.')[0] === 'limits' && name.includes('.') ? limit : request).push(
      `${name}: ${used}/${hard}`,
    );
  }
  return [request.join(', '), limit.join(', ')];
}

/**
 * core/v1 ResourceQuota: limits on what a namespace's objects may use in total. Validation is
 * Kubernetes' (standard or domain-qualified resource names, non-negative quantities, whole
 * numbers for counts, scopes valid for the limited resources and not conflicting, scopes
 * immutable); the status is the resourcequota controller's and quota admission's.
 */
export const resourceQuotaKind: KindDefinition = {
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  shortNames: ['quota'],
  namespaced: true,
  subresources: ['status'],
  schemaRef: 'io.k8s.api.core.v1.ResourceQuota',
  validate(object, old) {
    const spec = (object.spec ?? {}) as QuotaSpec;
    const status = (object.status ?? {}) as QuotaStatus;
    const errs = [
      ...resourceListErrors(spec.hard, 'spec.hard'),
      ...scopeErrors(spec),
      ...resourceListErrors(status.hard, 'status.hard'),
      ...resourceListErrors(status.used, 'status.used'),
    ];
    const before = ((old?.spec ?? {}) as QuotaSpec).scopes ?? [];
    const now = spec.scopes ?? [];
    if (old !== undefined && [...new Set(before)].sort().join() !== [...new Set(now)].sort().join()) {
      errs.push(invalid('spec.scopes', now, 'field is immutable'));
    }
    return errs;
  },
  columns: [
    nameColumn,
    ageColumn,
    column(
      'Request',
      'string',
      'Request represents a minimum amount of cpu/memory that a container may consume.',
    ),
    column(
      'Limit',
      'string',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
  ],
  cells(object, now) {
    return [object.metadata.name ?? '', age(object.metadata.creationTimestamp, now), ...usageColumns(object)];
  },
};
