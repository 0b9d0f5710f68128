/**
 * The ring as data: which devices hold each partition. Pure (no I/O, no node: imports), so the
 * dashboard can draw it and tests drive it with plain values. Building and rebalancing live in
 * ring-builder.ts; this file answers "where does this hash go" and "where else may it go".
 */

/** A storage device as the ring sees it: identity, weight and its place in the failure domains. */
export interface RingDevice {
  id: string;
  weight: number;
  region: string;
  zone: string;
  node: string;
}

/** A serializable ring: `assignment[replica][partition]` is an index into `devices`, or -1 when unassigned. */
export interface RingData {
  version: number;
  partPower: number;
  replicas: number;
  /** Hours during which a partition, once moved, is not moved again. */
  minPartHours: number;
  devices: RingDevice[];
  assignment: number[][];
  /** Per partition, the clock time (ms) of its last move; 0 when never moved. */
  lastMoved: number[];
}

/**
 * The partition of an MD5 hex digest: its top `partPower` bits, as Swift does, so that a ring
 * with a larger part power splits partitions instead of reshuffling them.
 */
export function partitionForHash(md5Hex: string, partPower: number): number {
  if (partPower < 0 || partPower > 24) throw new RangeError(`partPower ${partPower} is out of range 0..24`);
  if (partPower === 0) return 0;
  const top = parseInt(md5Hex.slice(0, 8), 16) >>> 0;
  return top >>> (32 - partPower);
}

/** The primary devices of a partition, in replica order, skipping unassigned slots. */
export function primaryDevices(ring: RingData, partition: number): RingDevice[] {
  const out: RingDevice[] = [];
  for (const row of ring.assignment) {
    const idx = row[partition] ?? -1;
    const dev = idx >= 0 ? ring.devices[idx] : undefined;
    if (dev && !out.includes(dev)) out.push(dev);
  }
  return out;
}

/** A small deterministic string hash (FNV-1a, 32 bits): spreads handoffs without crypto. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The handoff devices of a partition: every non-primary device, in a deterministic order that
 * prefers devices in regions, zones and nodes the primaries do not use (so a handoff copy keeps
 * data apart), then a per-partition hash so that handoff load spreads over the cluster.
 */
export function handoffDevices(ring: RingData, partition: number): RingDevice[] {
  const primaries = primaryDevices(ring, partition);
  const regions = new Set(primaries.map((d) => d.region));
  const zones = new Set(primaries.map((d) => `${d.region}/${d.zone}`));
  const nodes = new Set(primaries.map((d) => `${d.region}/${d.zone}/${d.node}`));
  const rest = ring.devices.filter((d) => !primaries.includes(d) && d.weight > 0);
  const score = (d: RingDevice): number =>
    (regions.has(d.region) ? 4 : 0) +
    (zones.has(`${d.region}/${d.zone}`) ? 2 : 0) +
    (nodes.has(`${d.region}/${d.zone}/${d.node}`) ? 1 : 0);
  return rest
    .map((d) => ({ d, s: score(d), h: fnv1a(`${partition}/${d.id}`) }))
    .sort((a, b) => a.s - b.s || a.h - b.h || (a.d.id < b.d.id ? -1 : 1))
    .map((x) => x.d);
}

/** The partitions a device holds as a primary, with the replica index it holds them at. */
export function partitionsOfDevice(ring: RingData, deviceId: string): number[] {
  const idx = ring.devices.findIndex((d) => d.id === deviceId);
  if (idx < 0) return [];
  const out = new Set<number>();
  for (const row of ring.assignment) row.forEach((d, p) => d === idx && out.add(p));
  return [...out].sort((a, b) => a - b);
}
