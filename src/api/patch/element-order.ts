import { canonicalJson, isObject } from './json.js';

/**
 * The order rules of strategic merge patch lists, as Kubernetes' `strategicpatch` package applies
 * them: items named in the patch (or in `$setElementOrder`) take the patch's order, items only the
 * server has keep their live order, and the two are interleaved by their positions in the live
 * list. `mergeKey` is undefined for lists of scalars.
 */
export function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string | undefined,
): unknown[] {
  const sortedPatch = sortByOrder(patchItems, patchOrder, mergeKey);
  const sortedServer = sortByOrder(serverOnly, serverOrder, mergeKey);
  return mergeSorted(sortedServer, sortedPatch, serverOrder, mergeKey);
}

/**
 * Splits `items` into those present in `partitionBy` (compared by merge key, or by value for
 * scalars) and those that are not, keeping their order.
 */
export function partitionByPresence(
  items: unknown[],
  partitionBy: unknown[],
  mergeKey: string | undefined,
): { present: unknown[]; absent: unknown[] } {
  const present: unknown[] = [];
  const absent: unknown[] = [];
  for (const item of items) (indexIn(partitionBy, item, mergeKey) >= 0 ? present : absent).push(item);
  return { present, absent };
}

/** The identity used to match items: the merge key's value for maps, the value for scalars. */
function identity(item: unknown, mergeKey: string | undefined): string {
  if (mergeKey !== undefined) return isObject(item) ? canonicalJson(item[mergeKey]) : '\u0000';
  return canonicalJson(item);
}

/** The position of `item` in `list` (by identity), or -1. */
export function indexIn(list: unknown[], item: unknown, mergeKey: string | undefined): number {
  const id = identity(item, mergeKey);
  return list.findIndex((v) => identity(v, mergeKey) === id);
}

/**
 * Sorts items by their position in `order`; items marked `$patch: delete` and items `order`
 * does not name go last, in their own order.
 */
function sortByOrder(items: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const isDelete = (v: unknown): boolean => mergeKey !== undefined && isObject(v) && v.$patch === 'delete';
  const kept = items.filter((v) => !isDelete(v));
  const positioned = kept.map((item, i) => ({ item, i, at: indexIn(order, item, mergeKey) }));
  positioned.sort((a, b) => {
    if (a.at >= 0 && b.at >= 0) return a.at - b.at || a.i - b.i;
    if (a.at >= 0) return -1;
    if (b.at >= 0) return 1;
    return a.i - b.i;
  });
  return [...positioned.map((p) => p.item), ...items.filter(isDelete)];
}

/**
 * Inserts each server-only item (`left`) into the patch items (`right`) before the first patch
 * item that comes after it in the live list; the relative order of both lists is kept.
 */
function mergeSorted(
  left: unknown[],
  right: unknown[],
  serverOrder: unknown[],
  mergeKey: string | undefined,
): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}
