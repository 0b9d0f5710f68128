import type { KubeObject } from '../common/kube-object.js';
import type { DecodeResult, FieldError } from './resource-type.js';
import type { SchemaDocument, SchemaNode } from './schema.js';
import { child, index, typeInvalid, unknownField } from './field-error.js';
import { resolveSchema } from './schemas.js';

/** How unknown fields are treated, as Kubernetes' `fieldValidation` query parameter. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/**
 * Walks a request body against its schema, as Kubernetes' decoder does. Ill-typed fields are
 * errors whatever the mode (`spec.replicas: Invalid value: "string": spec.replicas in body must
 * be of type integer: "string"`); unknown fields are errors under `Strict` (reason
 * `UnknownField`, message `unknown field "spec.foo"`), dropped with a warning under `Warn`, and
 * dropped silently under `Ignore`. `null` counts as absent and is dropped, as Go's decoder
 * leaves a nil pointer. The input is not changed; the result holds a cleaned copy.
 */
export function decode(
  doc: SchemaDocument,
  schema: SchemaNode,
  object: KubeObject,
  fieldValidation: FieldValidation,
): DecodeResult {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  const walk = (value: unknown, node: SchemaNode, path: string): unknown => {
    const s = resolveSchema(doc, node);
    const got = jsonType(value);
    switch (s.type) {
      case 'any':
        return value;
      case 'string':
      case 'boolean':
        if (got !== s.type) errors.push(typeInvalid(path, got, s.type));
        return value;
      case 'integer':
        if (got !== 'integer') errors.push(typeInvalid(path, got, 'integer'));
        return value;
      case 'number':
        if (got !== 'integer' && got !== 'number') errors.push(typeInvalid(path, got, 'number'));
        return value;
      case 'int-or-string':
        if (got !== 'integer' && got !== 'string') errors.push(typeInvalid(path, got, 'integer or string'));
        return value;
      case 'quantity':
        if (got !== 'integer' && got !== 'number' && got !== 'string') {
          errors.push(typeInvalid(path, got, 'string or number'));
        }
        return value;
      case 'ref':
        return value; // unreachable: resolveSchema follows refs
      case 'array': {
        if (got !== 'array') {
          errors.push(typeInvalid(path, got, 'array'));
          return value;
        }
        return (value as unknown[]).map((item, i) => walk(item, s.items, index(path, i)));
      }
      case 'map': {
        if (got !== 'object') {
          errors.push(typeInvalid(path, got, 'object'));
          return value;
        }
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          if (v === null) continue;
          setOwn(out, k, walk(v, s.values, child(path, k)));
        }
        return out;
      }
      case 'object': {
        if (got !== 'object') {
          errors.push(typeInvalid(path, got, 'object'));
          return value;
        }
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          const prop = Object.hasOwn(s.properties, k) ? s.properties[k] : undefined;
          const p = child(path, k);
          if (!prop) {
            if (fieldValidation === 'Strict') errors.push(unknownField(p));
            else if (fieldValidation === 'Warn') warnings.push(`unknown field "${p}"`);
            continue;
          }
          if (v === null) continue;
          setOwn(out, k, walk(v, prop, p));
        }
        return out;
      }
    }
  };
  const cleaned = walk(object, schema, '');
  return { object: cleaned as KubeObject, errors, warnings };
}

/** Sets a property, even one named `__proto__` (which JSON.parse makes an own property). */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
  }
}

/** The JSON type of a value, in OpenAPI's words: `integer` for whole numbers. */
export function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'object') return 'object';
  return typeof value;
}
