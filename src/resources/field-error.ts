import type { FieldError } from './resource-type.js';

/**
 * Field errors in the shape and wording of Kubernetes' `field.ErrorList`
 * (k8s.io/apimachinery/pkg/util/validation/field), so that kubectl users see the messages they
 * know: `Required value`, `Invalid value: "Foo": …`, `Unsupported value: "x": supported values:
 * "Always", "Never"`. Values are printed as Go prints them: strings quoted, numbers bare,
 * string maps as `map[string]string{"app":"web"}`, string lists as `[]string{"a", "b"}`.
 */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}`;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, v]) => typeof v === 'string')) {
      const body = entries
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
        .join(', ');
      return `map[string]string{${body}}`;
    }
  }
  return JSON.stringify(value);
}

/** `field: Required value` (plus a detail when given). */
export function required(field: string, detail = ''): FieldError {
  return { reason: 'FieldValueRequired', field, message: withDetail('Required value', detail) };
}

/** `field: Invalid value: <value>: <detail>`. */
export function invalid(field: string, value: unknown, detail: string): FieldError {
  return {
    reason: 'FieldValueInvalid',
    field,
    message: withDetail(`Invalid value: ${formatValue(value)}`, detail),
  };
}

/** `field: Unsupported value: "x": supported values: "a", "b"`. */
export function notSupported(field: string, value: unknown, allowed: readonly string[]): FieldError {
  const detail = allowed.length
    ? `supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`
    : '';
  return {
    reason: 'FieldValueNotSupported',
    field,
    message: withDetail(`Unsupported value: ${formatValue(value)}`, detail),
  };
}

/** `field: Duplicate value: "web"`. */
export function duplicate(field: string, value: unknown): FieldError {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${formatValue(value)}` };
}

/** `field: Forbidden: <detail>`, used for changes to immutable fields. */
export function forbidden(field: string, detail: string): FieldError {
  return { reason: 'FieldValueForbidden', field, message: withDetail('Forbidden', detail) };
}

/**
 * A type mismatch found while decoding, worded as Kubernetes' OpenAPI validation words it:
 * `Invalid value: "string": spec.replicas in body must be of type integer: "string"`.
 */
export function typeInvalid(field: string, got: string, want: string): FieldError {
  return {
    reason: 'FieldValueTypeInvalid',
    field,
    message: `Invalid value: "${got}": ${field} in body must be of type ${want}: "${got}"`,
  };
}

/** A field the schema does not know: `unknown field "spec.foo"`. */
export function unknownField(field: string): FieldError {
  return { reason: 'UnknownField', field, message: `unknown field "${field}"` };
}

function withDetail(head: string, detail: string): string {
  return detail ? `${head}: ${detail}` : head;
}

/** Joins a field path and a property: `child('spec', 'replicas')` → `spec.replicas`. */
export function child(path: string, prop: string): string {
  return path ? `${path}.${prop}` : prop;
}

/** Joins a field path and an index or key: `spec.containers[0]`, `metadata.labels[app]`. */
export function index(path: string, i: number | string): string {
  return `${path}[${i}]`;
}
