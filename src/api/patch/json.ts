/**
 * Plain-JSON helpers shared by every patch format: type guards, deep equality, deep copies and a
 * canonical encoding (object keys sorted) used to compare list keys and set values.
 */

/** A JSON object as decoded from a request body. */
export type JsonObject = Record<string, unknown>;

/**
 * True for plain JSON objects (not arrays, not null). Patches treat objects and arrays
 * differently everywhere, so every branch starts with this check.
 */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Structural equality of two JSON values: objects compare by their keys regardless of order,
 * arrays element by element. RFC 6902 `test` and server-side apply's "modified" check need it.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * A deep copy of a JSON value, so that patch functions never share structure with (and never
 * mutate) their inputs. `undefined` members are dropped, as JSON would.
 */
export function deepClone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => deepClone(v)) as T;
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = deepClone(v);
    return out as T;
  }
  return value;
}

/**
 * JSON text with object keys sorted at every level, so that equal values have equal text. Used
 * for FieldsV1 `k:` and `v:` path elements and for comparing merge-key values.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
