import type { FieldError } from './resource-type.js';
import { invalid } from './field-error.js';
import { parseQuantity } from '../common/quantity.js';

export { parseQuantity };

/** A field error unless `q` is a valid, non-negative quantity (as Kubernetes requires of resources). */
export function validateQuantity(q: unknown, path: string): FieldError[] {
  const n = typeof q === 'string' || typeof q === 'number' ? parseQuantity(q) : undefined;
  if (n === undefined) {
    return [
      invalid(
        path,
        q,
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      ),
    ];
  }
  return n < 0 ? [invalid(path, q, 'must be greater than or equal to 0')] : [];
}
