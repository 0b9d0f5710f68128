import {
  compareQuantity,
  formatQuantity,
  milliValue,
  parseExactQuantity,
  type ExactQuantity,
} from '../../common/exact-quantity.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { duplicate, forbidden, invalid, required } from '../field-error.js';
import { isQualifiedName } from '../names.js';
import { createdAtColumn, nameColumn } from '../table.js';
import { defaultLimitRangeItem, type LimitRangeItem } from '../quota/limit-ranger.js';
import { containerResourceNameErrors } from '../quota/quota-names.js';

const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];
const FIELDS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;
/** Resources a container may not ask for more of than it is limited to (no overcommit). */
const overcommitAllowed = (r: string): boolean =>
  !r.startsWith('hugepages-') && (!r.includes('/') || r.includes('kubernetes.io/'));

function typeErrors(type: string | undefined, path: string): FieldError[] {
  if (type === undefined || type === '') return [required(path)];
  const errs = isQualifiedName(type).map((m) => invalid(path, type, m));
  if (!type.includes('/') && !LIMIT_TYPES.includes(type))
    errs.push(invalid(path, type, 'must be a standard limit type or fully qualified'));
  return errs;
}

/** The relations Kubernetes checks between one resource's min, max, defaults and ratio. */
function relationErrors(
  path: string,
  r: string,
  v: Partial<Record<(typeof FIELDS)[number], ExactQuantity>>,
): FieldError[] {
  const errs: FieldError[] = [];
  const s = (q: ExactQuantity): string => formatQuantity(q);
  const { min, max, default: def, defaultRequest: req, maxLimitRequestRatio: ratio } = v;
  if (min && max && compareQuantity(min, max) > 0)
    errs.push(
      invalid(`${path}.min[${r}]`, s(min), `min value ${s(min)} is greater than max value ${s(max)}`),
    );
  if (req && min && compareQuantity(min, req) > 0)
    errs.push(
      invalid(
        `${path}.defaultRequest[${r}]`,
        s(req),
        `min value ${s(min)} is greater than default request value ${s(req)}`,
      ),
    );
  if (req && max && compareQuantity(req, max) > 0)
    errs.push(
      invalid(
        `${path}.defaultRequest[${r}]`,
        s(req),
        `default request value ${s(req)} is greater than max value ${s(max)}`,
      ),
    );
  if (req && def && compareQuantity(req, def) > 0)
    errs.push(
      invalid(
        `${path}.defaultRequest[${r}]`,
        s(req),
        `default request value ${s(req)} is greater than default limit value ${s(def)}`,
      ),
    );
  if (def && min && compareQuantity(min, def) > 0)
    errs.push(
      invalid(`${path}.default[${r}]`, s(min), `min value ${s(min)} is greater than default value ${s(def)}`),
    );
  if (def && max && compareQuantity(def, max) > 0)
    errs.push(
      invalid(`${path}.default[${r}]`, s(max), `default value ${s(def)} is greater than max value ${s(max)}`),
    );
  if (ratio && ratio.nanos < 1_000_000_000n)
    errs.push(invalid(`${path}.maxLimitRequestRatio[${r}]`, s(ratio), `ratio ${s(ratio)} is less than 1`));
  if (ratio && min && max) {
    const limit = Number(milliValue(max)) / Number(milliValue(min));
    if (Number(milliValue(ratio)) / 1000 > limit)
      errs.push(
        invalid(
          `${path}.maxLimitRequestRatio[${r}]`,
          s(ratio),
          `ratio ${s(ratio)} is greater than max/min = ${limit.toFixed(6)}`,
        ),
      );
  }
  if (!overcommitAllowed(r) && def && req && compareQuantity(def, req) !== 0)
    errs.push(
      invalid(
        `${path}.defaultRequest[${r}]`,
        s(req),
        `default value ${s(def)} must equal to defaultRequest value ${s(req)} in ${r}`,
      ),
    );
  return errs;
}

function itemErrors(item: LimitRangeItem, path: string): FieldError[] {
  const errs = typeErrors(item.type, `${path}.type`);
  const values = new Map<string, Partial<Record<(typeof FIELDS)[number], ExactQuantity>>>();
  for (const field of FIELDS) {
    const map = item[field] ?? {};
    if (item.type === 'Pod' && (field === 'default' || field === 'defaultRequest')) {
      if (Object.keys(map).length > 0)
        errs.push(forbidden(`${path}.${field}`, "may not be specified when `type` is 'Pod'"));
      continue;
    }
    for (const [r, text] of Object.entries(map)) {
      const at = `${path}.${field}[${r}]`;
      errs.push(
        ...(item.type === 'Pod' || item.type === 'Container'
          ? containerResourceNameErrors(r, at)
          : isQualifiedName(r).map((m) => invalid(at, r, m))),
      );
      const q = parseExactQuantity(text);
      if (q !== undefined) values.set(r, { ...values.get(r), [field]: q });
    }
  }
  if (item.type === 'PersistentVolumeClaim' && !item.min?.storage && !item.max?.storage) {
    errs.push(
      required(
        `${path}.limits`,
        'either minimum or maximum storage value is required, but neither was provided',
      ),
    );
  }
  for (const [r, v] of values) errs.push(...relationErrors(path, r, v));
  return errs;
}

/**
 * core/v1 LimitRange: per-namespace bounds and defaults for what containers and pods ask for.
 * Defaults as Kubernetes' (a Container item's missing default limit is its max, a missing
 * default request its default limit, then its min); validation as ValidateLimitRange. The
 * LimitRanger admission applies it to pods as they are created.
 */
export const limitRangeKind: KindDefinition = {
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  plural: 'limitranges',
  shortNames: ['limits'],
  namespaced: true,
  schemaRef: 'io.k8s.api.core.v1.LimitRange',
  defaults(object) {
    const limits = (object.spec as { limits?: LimitRangeItem[] } | undefined)?.limits;
    for (const item of limits ?? [])
      if (item !== null && typeof item === 'object') defaultLimitRangeItem(item);
  },
  validate(object) {
    const limits = ((object.spec ?? {}) as { limits?: LimitRangeItem[] }).limits ?? [];
    const errs: FieldError[] = [];
    const seen = new Set<string>();
    limits.forEach((item, i) => {
      const path = `spec.limits[${i}]`;
      errs.push(...itemErrors(item, path));
      if (item.type !== undefined && seen.has(item.type)) errs.push(duplicate(`${path}.type`, item.type));
      if (item.type !== undefined) seen.add(item.type);
    });
    return errs;
  },
  columns: [nameColumn, createdAtColumn],
  cells(object) {
    return [object.metadata.name ?? '', object.metadata.creationTimestamp ?? ''];
  },
};
