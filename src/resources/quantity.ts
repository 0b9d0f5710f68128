import type { FieldError } from './resource-type.js';
import { invalid } from './field-error.js';

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/**
 * Parses a resource.Quantity (`500m`, `1.5Gi`, `2`, `1e3`) to a number of base units (cores,
 * bytes). Returns undefined when the text is not a quantity. Numbers pass through.
 */
export function parseQuantity(q: string | number): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const suffix = m[5];
  const base = Number(q.trim().slice(0, q.trim().length - (suffix?.length ?? 0)));
  const mult: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
  };
  return suffix ? base * mult[suffix]! : base;
}

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
