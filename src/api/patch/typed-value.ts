import type { ObjectSchema, SchemaDocument, SchemaNode } from '../../resources/index.js';
import { FieldSet } from './fields-v1.js';
import { canonicalJson, deepClone, deepEqual, isObject, type JsonObject } from './json.js';
import { listKind, resolveSchema, type ListKind } from './schema-lookup.js';

/**
 * How server-side apply sees one value: a struct (declared fields), a map (free keys: labels,
 * or objects without a schema), a granular list (keyed or a set) or a leaf (scalars, atomic
 * lists, values whose shape does not match the schema).
 */
export type Shape =
  | { kind: 'struct'; schema: ObjectSchema }
  | { kind: 'map'; values: SchemaNode | undefined }
  | { kind: 'list'; list: Exclude<ListKind, { kind: 'atomic' }>; items: SchemaNode | undefined }
  | { kind: 'leaf' };

/**
 * The shape of `value` under `node`. Without a schema (or `any`) objects are maps and lists are
 * atomic, as structured-merge-diff's deduced type has it.
 */
export function shapeOf(node: SchemaNode | undefined, value: unknown, schemas: SchemaDocument): Shape {
  const resolved = resolveSchema(node, schemas);
  if (resolved === undefined || resolved.type === 'any') {
    return isObject(value) ? { kind: 'map', values: undefined } : { kind: 'leaf' };
  }
  if (resolved.type === 'object')
    return isObject(value) ? { kind: 'struct', schema: resolved } : { kind: 'leaf' };
  if (resolved.type === 'map')
    return isObject(value) ? { kind: 'map', values: resolved.values } : { kind: 'leaf' };
  if (resolved.type === 'array' && Array.isArray(value)) {
    const list = listKind(resolved, schemas);
    return list.kind === 'atomic' ? { kind: 'leaf' } : { kind: 'list', list, items: resolved.items };
  }
  return { kind: 'leaf' };
}

/** The schema of member `key` of a struct or map shape. */
export function childSchema(shape: Shape, key: string): SchemaNode | undefined {
  if (shape.kind === 'struct') return shape.schema.properties[key];
  if (shape.kind === 'map') return shape.values;
  return undefined;
}

/**
 * Defaults of list-map key fields, which structured-merge-diff takes from the OpenAPI schema:
 * a port applied without `protocol` is the live port with `protocol: TCP`.
 */
const KEY_DEFAULTS: Readonly<Record<string, unknown>> = { protocol: 'TCP' };

/**
 * The path element of a list item: `k:{"name":"web"}` for keyed lists, `v:"x"` for sets, and
 * `i:<n>` for a keyed-list item that has none of its key fields.
 */
export function itemElement(shape: Extract<Shape, { kind: 'list' }>, item: unknown, index: number): string {
  if (shape.list.kind === 'set') return `v:${canonicalJson(item)}`;
  if (!isObject(item)) return `i:${index}`;
  const key: JsonObject = {};
  for (const k of shape.list.keys) {
    const v = item[k] ?? (shape.list.keys.length > 1 ? KEY_DEFAULTS[k] : undefined);
    if (v !== undefined) key[k] = v;
  }
  return Object.keys(key).length > 0 ? `k:${canonicalJson(key)}` : `i:${index}`;
}

function isEmptyContainer(value: unknown): boolean {
  return (
    value === null ||
    (isObject(value) && Object.keys(value).length === 0) ||
    (Array.isArray(value) && value.length === 0)
  );
}

/**
 * The fields a value sets, as structured-merge-diff's `ToFieldSet` computes them: leaves, map
 * entries, list items, and empty or null values. Struct fields that only contain other fields
 * are not members themselves, which is why apply entries show `f:spec` without `".": {}`.
 */
export function fieldSetOf(value: unknown, node: SchemaNode | undefined, schemas: SchemaDocument): FieldSet {
  const set = new FieldSet();
  collect(value, node, schemas, set, null);
  return set;
}

/**
 * Adds the fields of `value` to `parent`, where `value` sits at path element `element` of
 * `parent` (`null` for the root, whose fields go into `parent` itself).
 */
function collect(
  value: unknown,
  node: SchemaNode | undefined,
  schemas: SchemaDocument,
  parent: FieldSet,
  element: string | null,
): void {
  const shape = shapeOf(node, value, schemas);
  if (shape.kind === 'leaf') {
    if (element !== null) parent.members.add(element);
    return;
  }
  const here = (): FieldSet => (element === null ? parent : parent.childFor(element));
  if (shape.kind === 'list') {
    const items = value as unknown[];
    if (items.length === 0 && element !== null) parent.members.add(element);
    items.forEach((item, i) => {
      const pe = itemElement(shape, item, i);
      const set = here();
      collect(item, shape.items, schemas, set, pe);
      set.members.add(pe);
    });
    return;
  }
  for (const [k, v] of Object.entries(value as JsonObject)) {
    const set = here();
    const pe = `f:${k}`;
    collect(v, childSchema(shape, k), schemas, set, pe);
    const declared = shape.kind === 'struct' && Object.hasOwn(shape.schema.properties, k);
    if (!declared || isEmptyContainer(v)) set.members.add(pe);
  }
}

/** What changed between two versions of an object, path by path. */
export interface Comparison {
  added: FieldSet;
  removed: FieldSet;
  modified: FieldSet;
}

/**
 * Compares two versions of a value as structured-merge-diff does: leaves that differ are
 * `modified`; fields, map entries and list items only on one side are `removed` or `added`
 * together with everything below them.
 */
export function compareValues(
  before: unknown,
  after: unknown,
  node: SchemaNode | undefined,
  schemas: SchemaDocument,
): Comparison {
  const out: Comparison = { added: new FieldSet(), removed: new FieldSet(), modified: new FieldSet() };
  compareAt(before, after, node, schemas, [], true, out);
  return out;
}

/**
 * Adds `value`'s subtree at `path` to `set`: its member fields plus the containers a write
 * creates or deletes as a whole (map entries, list items, maps) — but not plain struct fields,
 * which exist on every object of the kind. `self` says whether `path` itself counts.
 */
function addSubtree(
  value: unknown,
  node: SchemaNode | undefined,
  schemas: SchemaDocument,
  path: string[],
  self: boolean,
  set: FieldSet,
): void {
  const last = path.at(-1);
  if (last === undefined) {
    addBelow(value, node, schemas, set, null, false);
    return;
  }
  addBelow(value, node, schemas, path.length > 1 ? set.nodeAt(path.slice(0, -1)) : set, last, self);
}

function addBelow(
  value: unknown,
  node: SchemaNode | undefined,
  schemas: SchemaDocument,
  parent: FieldSet,
  element: string | null,
  self: boolean,
): void {
  if (self && element !== null) parent.members.add(element);
  const shape = shapeOf(node, value, schemas);
  if (shape.kind === 'leaf') {
    if (element !== null) parent.members.add(element);
    return;
  }
  const here = (): FieldSet => (element === null ? parent : parent.childFor(element));
  if (shape.kind === 'list') {
    const items = value as unknown[];
    if (items.length === 0 && element !== null) parent.members.add(element);
    items.forEach((item, i) =>
      addBelow(item, shape.items, schemas, here(), itemElement(shape, item, i), true),
    );
    return;
  }
  for (const [k, v] of Object.entries(value as JsonObject)) {
    const child = childSchema(shape, k);
    addBelow(v, child, schemas, here(), `f:${k}`, countsItself(shape, k, v, child, schemas));
  }
}

/**
 * Whether member `k` of a struct or map is a path of its own when added or removed whole: map
 * entries, maps and lists are; struct-valued and required fields (which Kubernetes' Go types
 * always serialize, so they are never "added") are not, unless empty.
 */
function countsItself(
  shape: Shape,
  k: string,
  v: unknown,
  child: SchemaNode | undefined,
  schemas: SchemaDocument,
): boolean {
  if (shape.kind !== 'struct' || !Object.hasOwn(shape.schema.properties, k)) return true;
  if (isEmptyContainer(v)) return true;
  if (shape.schema.required?.includes(k) === true) return false;
  return shapeOf(child, v, schemas).kind !== 'struct';
}

function compareAt(
  before: unknown,
  after: unknown,
  node: SchemaNode | undefined,
  schemas: SchemaDocument,
  path: string[],
  self: boolean,
  out: Comparison,
): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) return addSubtree(after, node, schemas, path, self, out.added);
  if (after === undefined) return addSubtree(before, node, schemas, path, self, out.removed);
  const a = shapeOf(node, before, schemas);
  const b = shapeOf(node, after, schemas);
  if (a.kind === 'leaf' || b.kind === 'leaf' || a.kind !== b.kind) {
    if (!deepEqual(before, after)) out.modified.insert(path);
    return;
  }
  if (b.kind === 'list') {
    const left = indexItems(b, before as unknown[]);
    const right = indexItems(b, after as unknown[]);
    for (const pe of new Set([...left.keys(), ...right.keys()])) {
      compareAt(left.get(pe), right.get(pe), b.items, schemas, [...path, pe], true, out);
    }
    return;
  }
  const l = before as JsonObject;
  const r = after as JsonObject;
  for (const k of new Set([...Object.keys(l), ...Object.keys(r)])) {
    const child = childSchema(b, k);
    compareAt(
      l[k],
      r[k],
      child,
      schemas,
      [...path, `f:${k}`],
      countsItself(b, k, l[k] ?? r[k], child, schemas),
      out,
    );
  }
}

/** The items of a granular list by path element (the first of duplicates wins). */
export function indexItems(shape: Extract<Shape, { kind: 'list' }>, items: unknown[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  items.forEach((item, i) => {
    const pe = itemElement(shape, item, i);
    if (!out.has(pe)) out.set(pe, item);
  });
  return out;
}

/**
 * A copy of `value` without the fields in `set` (a member path drops its whole subtree). Maps and
 * lists left empty by a removal are dropped too, as Kubernetes' `omitempty` encoding does,
 * unless `keepEmpty`.
 */
export function removeFields(
  value: unknown,
  set: FieldSet,
  node: SchemaNode | undefined,
  schemas: SchemaDocument,
  options: { keepEmpty?: boolean } = {},
): unknown {
  if (set.isEmpty()) return deepClone(value);
  const shape = shapeOf(node, value, schemas);
  if (shape.kind === 'leaf') return deepClone(value);
  if (shape.kind === 'list') {
    const out: unknown[] = [];
    (value as unknown[]).forEach((item, i) => {
      const pe = itemElement(shape, item, i);
      if (set.members.has(pe)) return;
      const sub = set.children.get(pe);
      out.push(sub === undefined ? deepClone(item) : removeFields(item, sub, shape.items, schemas, options));
    });
    return out;
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value as JsonObject)) {
    const pe = `f:${k}`;
    if (set.members.has(pe)) continue;
    const sub = set.children.get(pe);
    if (sub === undefined) {
      out[k] = deepClone(v);
      continue;
    }
    const kept = removeFields(v, sub, childSchema(shape, k), schemas, options);
    if (options.keepEmpty === true || !isEmptyContainer(kept) || isEmptyContainer(v)) out[k] = kept;
  }
  return out;
}
