import type { FieldError } from './resource-type.js';
import type { SchemaDocument, SchemaNode } from './schema.js';
import { child, index, required } from './field-error.js';
import { resolveSchema } from './schemas.js';

/**
 * Reports the fields the schema marks required (non-optional members in the Kubernetes
 * declarations, e.g. `spec.template.spec.containers[0].name`) that the object lacks:
 * `Required value`. Top-level `status` and `metadata` are skipped: status is written piecemeal by
 * controllers and metadata is filled in by the API server. Call on decoded (well-typed) objects.
 */
export function checkRequired(doc: SchemaDocument, schema: SchemaNode, object: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const walk = (value: unknown, node: SchemaNode, path: string): void => {
    if (value === null || typeof value !== 'object') return;
    const s = resolveSchema(doc, node);
    if (s.type === 'array' && Array.isArray(value)) {
      value.forEach((item, i) => walk(item, s.items, index(path, i)));
    } else if (s.type === 'map') {
      for (const [k, v] of Object.entries(value)) walk(v, s.values, child(path, k));
    } else if (s.type === 'object' && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      for (const r of s.required ?? []) {
        if (path === '' && (r === 'metadata' || r === 'status')) continue;
        if (obj[r] === undefined || obj[r] === null) errors.push(required(child(path, r)));
      }
      for (const [k, v] of Object.entries(obj)) {
        if (path === '' && (k === 'metadata' || k === 'status')) continue;
        const prop = Object.hasOwn(s.properties, k) ? s.properties[k] : undefined;
        if (prop) walk(v, prop, child(path, k));
      }
    }
  };
  walk(object, schema, '');
  return errors;
}
