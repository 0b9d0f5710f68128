import type { ArraySchema, SchemaDocument, SchemaNode } from '../../resources/index.js';

/**
 * Follows `{type: 'ref'}` nodes through `schemas.definitions` to the node they name. Returns
 * `undefined` for an unknown reference or a reference cycle, which callers treat as "no schema"
 * (merge-patch behaviour), as Kubernetes does for types it has no patch metadata for.
 */
export function resolveSchema(node: SchemaNode | undefined, schemas: SchemaDocument): SchemaNode | undefined {
  let current = node;
  for (let hops = 0; current?.type === 'ref'; hops++) {
    if (hops > 64) return undefined;
    current = schemas.definitions[current.ref];
  }
  return current;
}

/**
 * The schema of member `key` of an object or map node, resolved; `undefined` when the node has
 * no such member or no schema at all.
 */
export function memberSchema(
  node: SchemaNode | undefined,
  key: string,
  schemas: SchemaDocument,
): SchemaNode | undefined {
  const resolved = resolveSchema(node, schemas);
  if (resolved?.type === 'object') return resolveSchema(resolved.properties[key], schemas);
  if (resolved?.type === 'map') return resolveSchema(resolved.values, schemas);
  return undefined;
}

/** The resolved array schema of member `key`, or `undefined` when it is not a list. */
export function arrayMemberSchema(
  node: SchemaNode | undefined,
  key: string,
  schemas: SchemaDocument,
): ArraySchema | undefined {
  const member = memberSchema(node, key, schemas);
  return member?.type === 'array' ? member : undefined;
}

/**
 * True when strategic merge patch merges this list rather than replacing it: its strategy
 * contains `merge`, or it names a merge key without a strategy.
 */
export function mergesAsList(array: ArraySchema | undefined): boolean {
  if (array === undefined) return false;
  if (array.patchStrategy !== undefined) return array.patchStrategy.split(',').includes('merge');
  return array.mergeKey !== undefined;
}

/** How server-side apply treats a list: owned whole, as a set of scalars, or keyed by fields. */
export type ListKind = { kind: 'atomic' } | { kind: 'set' } | { kind: 'map'; keys: string[] };

/**
 * The server-side apply list kind: `listType` when present (`map` keys from `listMapKeys`,
 * falling back to `mergeKey`); otherwise a merge list with a merge key is a map, a merge list of
 * scalars is a set, and everything else is atomic.
 */
export function listKind(array: ArraySchema, schemas: SchemaDocument): ListKind {
  const keys = array.listMapKeys ?? (array.mergeKey !== undefined ? [array.mergeKey] : []);
  if (array.listType === 'atomic') return { kind: 'atomic' };
  if (array.listType === 'set') return { kind: 'set' };
  if (array.listType === 'map') return keys.length > 0 ? { kind: 'map', keys } : { kind: 'atomic' };
  if (!mergesAsList(array)) return { kind: 'atomic' };
  if (keys.length > 0) return { kind: 'map', keys };
  const items = resolveSchema(array.items, schemas);
  const scalar =
    items !== undefined && items.type !== 'object' && items.type !== 'map' && items.type !== 'array';
  return scalar ? { kind: 'set' } : { kind: 'atomic' };
}
