import type { ObjectMeta } from '../common/kube-object.js';
import type { FieldError } from './resource-type.js';
import { forbidden, invalid, required } from './field-error.js';
import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
} from './names.js';

/**
 * Which rule an object name follows: most kinds use a DNS subdomain, a few a DNS label, and
 * Services a DNS-1035 label (their names become DNS names and environment variables).
 */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'none';

const NAME_CHECKS = { subdomain: isDns1123Subdomain, label: isDns1123Label, dns1035: isDns1035Label };

/** The largest total size of an object's annotations, as Kubernetes: 256 KiB. */
const ANNOTATIONS_MAX = 256 * 1024;

/**
 * Validates the metadata every kind shares, as apimachinery's `ValidateObjectMeta`: the name
 * (present, or generateName; following the kind's rule), the namespace (required for namespaced
 * kinds, forbidden for cluster-scoped ones), label keys and values, annotation keys and size.
 */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  options: { namespaced: boolean; nameRule: NameRule },
): FieldError[] {
  const errs: FieldError[] = [];
  const m = meta ?? {};
  const check = options.nameRule === 'none' ? isDns1123Subdomain : NAME_CHECKS[options.nameRule];
  if (typeof m.name !== 'string' || m.name === '') {
    if (!m.generateName) errs.push(required('metadata.name', 'name or generateName is required'));
  } else if (options.nameRule !== 'none') {
    for (const msg of check(m.name)) errs.push(invalid('metadata.name', m.name, msg));
  } else if (m.name.includes('/') || m.name === '.' || m.name === '..') {
    errs.push(invalid('metadata.name', m.name, "may not contain '/' or be '.' or '..'"));
  }
  if (options.namespaced) {
    if (!m.namespace) errs.push(required('metadata.namespace'));
    else
      for (const msg of isDns1123Label(m.namespace))
        errs.push(invalid('metadata.namespace', m.namespace, msg));
  } else if (m.namespace) {
    errs.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  errs.push(...validateLabels(m.labels, 'metadata.labels'));
  let size = 0;
  for (const [k, v] of Object.entries(m.annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid('metadata.annotations', k, msg));
    size += k.length + String(v).length;
  }
  if (size > ANNOTATIONS_MAX) {
    errs.push({
      reason: 'FieldValueTooLong',
      field: 'metadata.annotations',
      message: `Too long: must have at most ${ANNOTATIONS_MAX} bytes`,
    });
  }
  return errs;
}

/** Label keys must be qualified names and values valid label values, as `ValidateLabels`. */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(path, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(invalid(path, v, msg));
  }
  return errs;
}
