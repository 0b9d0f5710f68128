import type { FieldError } from '../resource-type.js';
import { invalid } from '../field-error.js';
import { isQualifiedName } from '../names.js';
import { formatQuantity, parseExactQuantity } from '../../common/exact-quantity.js';

/** The resource names a quota may name without a domain (Kubernetes' standardQuotaResources). */
const STANDARD_QUOTA_RESOURCES = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'persistentvolumeclaims',
  'configmaps',
  'services.loadbalancers',
  'services.nodeports',
]);

/** Resources counted in whole units. */
const INTEGER_RESOURCES = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);

/** True for names without a domain and for `kubernetes.io/…` ones. */
function isNative(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/** An extended resource (`example.com/gpu`), which quota counts in whole units. */
export function isExtendedResourceName(name: string): boolean {
  return !isNative(name) && !name.startsWith('requests.') && isQualifiedName(`requests.${name}`).length === 0;
}

/** True for a standard quota resource name (or a huge pages one). */
export function isStandardQuotaResourceName(name: string): boolean {
  return (
    STANDARD_QUOTA_RESOURCES.has(name) ||
    name.startsWith('hugepages-') ||
    name.startsWith('requests.hugepages-')
  );
}

/** The errors of a resource name in a quota (ValidateResourceQuotaResourceName). */
export function quotaResourceNameErrors(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (!name.includes('/') && !isStandardQuotaResourceName(name)) {
    errs.push(invalid(path, name, 'must be a standard resource for quota'));
  }
  return errs;
}

/** The errors of a resource name in a LimitRange of type Pod or Container. */
export function containerResourceNameErrors(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (!name.includes('/')) {
    if (!['cpu', 'memory', 'ephemeral-storage'].includes(name) && !name.startsWith('hugepages-'))
      errs.push(invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNative(name) && !isExtendedResourceName(name)) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/**
 * The errors of a quantity for a resource (ValidateResourceQuantityValue): it must be a
 * quantity, not negative, and whole for resources counted in units.
 */
export function resourceQuantityErrors(resource: string, value: unknown, path: string): FieldError[] {
  const q = parseExactQuantity(value);
  if (q === undefined) {
    return [
      invalid(
        path,
        value,
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      ),
    ];
  }
  if (q.nanos < 0n) return [invalid(path, formatQuantity(q), 'must be greater than or equal to 0')];
  const integer = INTEGER_RESOURCES.has(resource) || isExtendedResourceName(resource);
  if (integer && q.nanos % 1_000_000_000n !== 0n)
    return [invalid(path, formatQuantity(q), 'must be an integer')];
  return [];
}
