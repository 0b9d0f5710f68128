import type { ArraySchema, SchemaDocument, SchemaNode } from '../../resources/index.js';
import { normalizeElementOrder, partitionByPresence } from './element-order.js';
import { PatchError } from './errors.js';
import { canonicalJson, deepClone, isObject, type JsonObject } from './json.js';
import { arrayMemberSchema, memberSchema, mergesAsList, resolveSchema } from './schema-lookup.js';

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

/**
 * Applies a Kubernetes strategic merge patch — what `kubectl apply` (client side) and
 * `kubectl patch` send — to a copy of `target`. Maps merge recursively and `null` deletes;
 * lists whose schema names a merge strategy merge element-wise by their merge key (scalars as
 * sets); other lists are replaced. Directives: `$patch: replace|delete|merge`, `$retainKeys`,
 * `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`. `schema` is the object's
 * schema (refs resolve through `schemas`); without one the patch behaves as a merge patch.
 * Throws `PatchError` `PATCH_INVALID` (400 malformed, 422 for a patch that does not fit).
 */
export function applyStrategicMergePatch(
  target: unknown,
  patch: unknown,
  schema: SchemaNode | undefined,
  schemas: SchemaDocument,
): unknown {
  if (!isObject(patch)) {
    throw new PatchError(
      'PATCH_INVALID',
      400,
      'Invalid strategic merge patch: the patch must be a JSON object',
    );
  }
  const original = isObject(target) ? deepClone(target) : {};
  return new Merger(schemas).mergeMap(original, deepClone(patch), resolveSchema(schema, schemas));
}

function invalid(message: string): PatchError {
  return new PatchError('PATCH_INVALID', 422, `Invalid strategic merge patch: ${message}`);
}

/** The merge, with the schema document at hand. Works on copies it owns and may change. */
class Merger {
  constructor(private readonly schemas: SchemaDocument) {}

  mergeMap(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): JsonObject {
    if (Object.hasOwn(patch, '$patch')) {
      const directive = patch.$patch;
      delete patch.$patch;
      if (directive === 'replace') return this.mergeMap({}, patch, schema);
      if (directive === 'delete') return {};
      if (directive !== 'merge') throw invalid(`unknown $patch directive ${JSON.stringify(directive)}`);
    }
    this.retainKeys(original, patch);
    this.setElementOrders(original, patch, schema);
    for (const [rawKey, value] of Object.entries(patch)) {
      if (rawKey.startsWith(SET_ORDER) || rawKey === '$retainKeys') continue;
      const deleteList = rawKey.startsWith(DELETE_FROM);
      const key = deleteList ? rawKey.slice(DELETE_FROM.length) : rawKey;
      if (value === null) {
        if (!deleteList) delete original[key];
        continue;
      }
      const current = original[key];
      if (current === undefined || kindOf(current) !== kindOf(value)) {
        if (!deleteList) original[key] = this.fresh(value, schema, key);
        continue;
      }
      if (isObject(current) && isObject(value)) {
        original[key] = this.mergeMap(current, value, memberSchema(schema, key, this.schemas));
      } else if (Array.isArray(current) && Array.isArray(value)) {
        const array = arrayMemberSchema(schema, key, this.schemas);
        if (mergesAsList(array)) original[key] = this.mergeList(current, value, array, deleteList);
        else if (!deleteList) original[key] = value;
      } else if (!deleteList) {
        original[key] = value;
      }
    }
    return original;
  }

  /** A value the original lacks: taken from the patch with its directives and nulls applied. */
  private fresh(value: unknown, parent: SchemaNode | undefined, key: string): unknown {
    if (isObject(value)) return this.mergeMap({}, value, memberSchema(parent, key, this.schemas));
    if (Array.isArray(value)) {
      const array = arrayMemberSchema(parent, key, this.schemas);
      if (mergesAsList(array)) return this.mergeList([], value, array, false);
    }
    return value;
  }

  /** `$retainKeys`: fields of the original not listed are cleared before merging. */
  private retainKeys(original: JsonObject, patch: JsonObject): void {
    if (!Object.hasOwn(patch, '$retainKeys')) return;
    const keep = patch.$retainKeys;
    delete patch.$retainKeys;
    if (!Array.isArray(keep)) throw invalid('$retainKeys must be a list of field names');
    const kept = new Set(keep.map((k) => String(k)));
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || k.startsWith(SET_ORDER) || k.startsWith(DELETE_FROM) || k === '$patch') continue;
      if (!kept.has(k)) throw invalid(`field "${k}" is in the patch but not in $retainKeys`);
    }
    for (const k of Object.keys(original)) if (!kept.has(k)) delete original[k];
  }

  /**
   * `$setElementOrder/<field>`: merges the list named by the directive (if the patch has it) and
   * orders the result: listed items in the directive's order, the others interleaved by their
   * live positions. The merged list is removed from the patch so it is not merged twice.
   */
  private setElementOrders(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): void {
    for (const directive of Object.keys(patch).filter((k) => k.startsWith(SET_ORDER))) {
      const order = patch[directive];
      delete patch[directive];
      if (!Array.isArray(order)) throw invalid(`${directive} must be a list`);
      const key = directive.slice(SET_ORDER.length);
      const array = arrayMemberSchema(schema, key, this.schemas);
      const originalList = original[key];
      const patchList = patch[key];
      if (originalList !== undefined && !Array.isArray(originalList)) continue;
      if (patchList !== undefined && patchList !== null && !Array.isArray(patchList)) {
        throw invalid(`${key} must be a list to go with ${directive}`);
      }
      if (originalList === undefined && (patchList === undefined || patchList === null)) continue;
      if (patchList === null) continue;
      let merged: unknown[];
      if (patchList === undefined) merged = originalList ?? [];
      else if (mergesAsList(array)) merged = this.mergeList(originalList ?? [], patchList, array, false);
      else merged = patchList;
      const mergeKey = scalarList(merged, order) ? undefined : array?.mergeKey;
      const { present, absent } = partitionByPresence(merged, order, mergeKey);
      original[key] = normalizeElementOrder(present, absent, order, originalList ?? [], mergeKey);
      delete patch[key];
    }
  }

  /** Merges a list with a merge strategy: by merge key for maps, as a set for scalars. */
  mergeList(
    original: unknown[],
    patch: unknown[],
    array: ArraySchema | undefined,
    deleteList: boolean,
  ): unknown[] {
    if (original.length === 0 && patch.length === 0) return original;
    if (scalarList(original, patch)) {
      if (deleteList) {
        const drop = new Set(patch.map((v) => canonicalJson(v)));
        return original.filter((v) => !drop.has(canonicalJson(v)));
      }
      const merged = dedupe([...original, ...patch]);
      const { present, absent } = partitionByPresence(merged, patch, undefined);
      return normalizeElementOrder(present, absent, patch, original, undefined);
    }
    const mergeKey = array?.mergeKey;
    if (mergeKey === undefined) return patch;
    const items = resolveSchema(array?.items, this.schemas);
    let live = original;
    const plain: JsonObject[] = [];
    let replace = false;
    for (const element of patch) {
      if (!isObject(element)) throw invalid(`list elements must be objects with the merge key "${mergeKey}"`);
      const directive = element.$patch;
      if (directive === undefined || directive === 'merge') {
        if (directive === 'merge') delete element.$patch;
        plain.push(element);
      } else if (directive === 'delete') {
        if (!Object.hasOwn(element, mergeKey))
          throw invalid(`$patch: delete needs the merge key "${mergeKey}"`);
        const id = canonicalJson(element[mergeKey]);
        live = live.filter((v) => !(isObject(v) && canonicalJson(v[mergeKey]) === id));
      } else if (directive === 'replace') {
        replace = true;
      } else {
        throw invalid(`unknown $patch directive ${JSON.stringify(directive)}`);
      }
    }
    if (replace) {
      const replaced = plain.map((e) => this.mergeMap({}, e, items));
      return normalizeElementOrder([], replaced, [], replaced, mergeKey);
    }
    const merged = [...live];
    for (const element of plain) {
      if (!Object.hasOwn(element, mergeKey)) throw invalid(`list element has no merge key "${mergeKey}"`);
      const id = canonicalJson(element[mergeKey]);
      const at = merged.findIndex((v) => isObject(v) && canonicalJson(v[mergeKey]) === id);
      const current = merged[at];
      if (at >= 0 && isObject(current)) merged[at] = this.mergeMap(current, element, items);
      else merged.push(this.mergeMap({}, element, items));
    }
    const { present, absent } = partitionByPresence(merged, plain, mergeKey);
    return normalizeElementOrder(present, absent, plain, live, mergeKey);
  }
}

function kindOf(value: unknown): 'object' | 'array' | 'scalar' {
  return Array.isArray(value) ? 'array' : isObject(value) ? 'object' : 'scalar';
}

/** True when the lists hold scalars (checked on their first element). */
function scalarList(...lists: unknown[][]): boolean {
  for (const list of lists) for (const v of list) return !isObject(v) && !Array.isArray(v);
  return true;
}

function dedupe(items: unknown[]): unknown[] {
  const seen = new Set<string>();
  return items.filter((v) => {
    const id = canonicalJson(v);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
