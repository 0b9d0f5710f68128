import type { SchemaDocument, SchemaNode } from '../../resources/index.js';
import { deepClone, type JsonObject } from './json.js';
import { childSchema, indexItems, itemElement, shapeOf, type Shape } from './typed-value.js';

/**
 * Server-side apply's merge of an applied configuration into the live object: the applied
 * value wins for leaves, structs and maps merge member by member, keyed lists and sets merge
 * item by item in structured-merge-diff's order (shared items in the applied order, live-only
 * items kept near their live neighbours).
 */
export function mergeApplied(
  live: unknown,
  applied: unknown,
  node: SchemaNode | undefined,
  schemas: SchemaDocument,
): unknown {
  if (applied === undefined) return deepClone(live);
  if (live === undefined) return deepClone(applied);
  const a = shapeOf(node, live, schemas);
  const b = shapeOf(node, applied, schemas);
  if (a.kind === 'leaf' || b.kind === 'leaf' || a.kind !== b.kind) return deepClone(applied);
  if (b.kind === 'list') return mergeLists(b, live as unknown[], applied as unknown[], schemas);
  const out: JsonObject = deepClone(live as JsonObject);
  for (const [k, v] of Object.entries(applied as JsonObject)) {
    out[k] = mergeApplied((live as JsonObject)[k], v, childSchema(b, k), schemas);
  }
  return out;
}

function mergeLists(
  shape: Extract<Shape, { kind: 'list' }>,
  lhs: unknown[],
  rhs: unknown[],
  schemas: SchemaDocument,
): unknown[] {
  const lhsPEs = lhs.map((item, i) => itemElement(shape, item, i));
  const rhsPEs = rhs.map((item, i) => itemElement(shape, item, i));
  const observedL = indexItems(shape, lhs);
  const observedR = indexItems(shape, rhs);
  const shared = rhsPEs.filter((pe) => observedL.has(pe));
  let nextShared = shared.shift();
  const mergedR = new Set<string>();
  const out: unknown[] = [];
  const mergeItem = (pe: string): void => {
    if (mergedR.has(pe) && observedR.has(pe)) return;
    mergedR.add(pe);
    out.push(mergeApplied(observedL.get(pe), observedR.get(pe), shape.items, schemas));
  };
  let l = 0;
  let r = 0;
  while (l < lhsPEs.length || r < rhsPEs.length) {
    const lpe = lhsPEs[l];
    const rpe = rhsPEs[r];
    if (lpe !== undefined && rpe !== undefined) {
      if (lpe === rpe) {
        mergeItem(lpe);
        l++;
        r++;
        nextShared = shared.shift();
        continue;
      }
      if (observedR.has(lpe) && nextShared !== undefined && nextShared !== lpe) {
        l++;
        continue;
      }
    }
    if (lpe !== undefined) {
      if (!observedR.has(lpe)) {
        out.push(deepClone(lhs[l]));
        l++;
        continue;
      }
      if (mergedR.has(lpe)) {
        l++;
        continue;
      }
    }
    if (rpe !== undefined) {
      mergeItem(rpe);
      r++;
      if (nextShared === rpe) nextShared = shared.shift();
    } else {
      l++;
    }
  }
  return out;
}
