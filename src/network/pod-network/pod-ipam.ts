/**
 * The decisions of the pod address allocator, over plain records (`ip → pod uid`), as CNI's
 * host-local plugin keeps one file per address. The I/O side (`ipam-store.ts`) claims an
 * address by creating its record atomically, so a crash between choosing and recording never
 * gives one address twice; what a crash leaves is found by `staleRecords` on the next start.
 * Pure.
 */
import { podAddressAt, podOffsetOf, type PodRange } from './pod-range.js';

/** One allocation as recorded: the address and the pod it belongs to. */
export interface IpRecord {
  ip: string;
  podUid: string;
}

/** The address already recorded for the pod, if any (a setUp repeated after a crash reuses it). */
export function recordedAddress(records: readonly IpRecord[], podUid: string): string | undefined {
  return records.find((r) => r.podUid === podUid)?.ip;
}

/**
 * Free addresses in the order to try them: from the one after `last` (the last given), round
 * the range, as host-local does, so a freed address is not reused at once (a client that cached
 * it would reach the wrong pod).
 */
export function candidateAddresses(range: PodRange, taken: ReadonlySet<string>, last?: string): string[] {
  const start = last === undefined ? 0 : ((podOffsetOf(range, last) ?? -1) + 1) % range.size;
  const out: string[] = [];
  for (let i = 0; i < range.size; i++) {
    const ip = podAddressAt(range, (start + i) % range.size);
    if (!taken.has(ip)) out.push(ip);
  }
  return out;
}

/**
 * Records to remove at start: those of pods no longer live, those outside the range (the node's
 * range changed), and every record but the first of a pod holding several (a crash during a
 * setUp that had already recorded one).
 */
export function staleRecords(
  records: readonly IpRecord[],
  live: ReadonlySet<string>,
  range: PodRange,
): IpRecord[] {
  const seen = new Set<string>();
  const stale: IpRecord[] = [];
  for (const r of [...records].sort((a, b) => a.ip.localeCompare(b.ip))) {
    if (!live.has(r.podUid) || podOffsetOf(range, r.ip) === undefined || seen.has(r.podUid)) stale.push(r);
    else seen.add(r.podUid);
  }
  return stale;
}
