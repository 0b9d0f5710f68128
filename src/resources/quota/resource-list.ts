import {
  addQuantity,
  compareQuantity,
  formatQuantity,
  parseExactQuantity,
  subtractQuantity,
  ZERO_QUANTITY,
  type ExactQuantity,
} from '../../common/exact-quantity.js';

/**
 * A Kubernetes `ResourceList` (`{pods: 2, requests.cpu: 500m}`) held exactly, with the
 * operations of apiserver's quota helpers (`quota.Add`, `Mask`, `LessThanOrEqual`, …). Pure.
 */
export type ResourceList = Map<string, ExactQuantity>;

/** A ResourceList from its JSON form; entries that are not quantities are skipped. */
export function parseResourceList(map: unknown): ResourceList {
  const out: ResourceList = new Map();
  if (map === null || typeof map !== 'object') return out;
  for (const [k, v] of Object.entries(map as Record<string, unknown>)) {
    const q = parseExactQuantity(v);
    if (q !== undefined) out.set(k, q);
  }
  return out;
}

/** The JSON form: each quantity in canonical text, keys sorted. */
export function resourceListJson(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...list.keys()].sort()) out[k] = formatQuantity(list.get(k) ?? ZERO_QUANTITY);
  return out;
}

/** a + b: every key of either, summed (quota.Add). */
export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) out.set(k, addQuantity(out.get(k) ?? ZERO_QUANTITY, v));
  return out;
}

/** a − b, keys of a only, never below zero (quota.SubtractWithNonNegativeResult). */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of a) {
    const d = subtractQuantity(v, b.get(k) ?? ZERO_QUANTITY);
    out.set(k, d.nanos < 0n ? { ...ZERO_QUANTITY, format: v.format } : d);
  }
  return out;
}

/** Only the entries whose key is in `names` (quota.Mask). */
export function maskList(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map();
  for (const n of names) {
    const v = list.get(n);
    if (v !== undefined) out.set(n, v);
  }
  return out;
}

/** Without zero entries (quota.RemoveZeros). */
export function removeZeros(list: ResourceList): ResourceList {
  return new Map([...list].filter(([, v]) => v.nanos !== 0n));
}

/** The keys whose value in `a` exceeds the one in `b` (a key b lacks never exceeds). */
export function exceededKeys(a: ResourceList, b: ResourceList): string[] {
  const out: string[] = [];
  for (const [k, v] of a) {
    const limit = b.get(k);
    if (limit !== undefined && compareQuantity(v, limit) > 0) out.push(k);
  }
  return out.sort();
}

/** True when both hold the same keys with equal values. */
export function listsEqual(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || compareQuantity(v, w) !== 0) return false;
  }
  return true;
}

/** `pods=1,requests.cpu=500m`: keys sorted, as the quota admission's prettyPrint. */
export function prettyPrint(list: ResourceList): string {
  return [...list.keys()]
    .sort()
    .map((k) => `${k}=${formatQuantity(list.get(k) ?? ZERO_QUANTITY)}`)
    .join(',');
}
