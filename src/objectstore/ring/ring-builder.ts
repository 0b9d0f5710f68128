/**
 * Building and rebalancing the ring: pure functions from a ring snapshot to a new one (the caller
 * commits it), in the spirit of Swift's ring builder. Replicas of a partition go to devices as far
 * apart as possible (region, then zone, then node, then device), and within that in proportion to
 * the device weights. A rebalance moves only what must move, at most one replica of a partition,
 * and never a partition that moved less than `minPartHours` ago.
 */
import { fnv1a, type RingData, type RingDevice } from './ring.js';

/** Options of createRing. */
export interface CreateRingOptions {
  /** 2^partPower partitions; default 10. */
  partPower?: number;
  /** Replicas per partition; default min(3, devices). */
  replicas?: number;
  /** Default 1. */
  minPartHours?: number;
}

/** An empty ring (no assignments) over the given devices; call `rebalance` to place partitions. */
export function createRing(devices: RingDevice[], options: CreateRingOptions = {}): RingData {
  const partPower = options.partPower ?? 10;
  const replicas = options.replicas ?? Math.min(3, devices.length);
  if (!Number.isInteger(partPower) || partPower < 0 || partPower > 20) {
    throw new RangeError(`partPower must be an integer in 0..20, got ${partPower}`);
  }
  if (!Number.isInteger(replicas) || replicas < 1)
    throw new RangeError(`replicas must be ≥ 1, got ${replicas}`);
  const ids = new Set<string>();
  for (const d of devices) {
    if (ids.has(d.id)) throw new RangeError(`duplicate device id ${d.id}`);
    ids.add(d.id);
  }
  const parts = 2 ** partPower;
  return {
    version: 0,
    partPower,
    replicas,
    minPartHours: options.minPartHours ?? 1,
    devices: devices.map((d) => ({ ...d })),
    assignment: Array.from({ length: replicas }, () => new Array<number>(parts).fill(-1)),
    lastMoved: new Array<number>(parts).fill(0),
  };
}

/** A copy of the ring with one more device (no partitions yet; rebalance assigns them). */
export function addDevice(ring: RingData, device: RingDevice): RingData {
  if (ring.devices.some((d) => d.id === device.id))
    throw new RangeError(`device ${device.id} is already in the ring`);
  return { ...cloneRing(ring), devices: [...ring.devices.map((d) => ({ ...d })), { ...device }] };
}

/** A copy of the ring without a device; its partition slots become unassigned until rebalance. */
export function removeDevice(ring: RingData, deviceId: string): RingData {
  const idx = ring.devices.findIndex((d) => d.id === deviceId);
  if (idx < 0) throw new RangeError(`device ${deviceId} is not in the ring`);
  const next = cloneRing(ring);
  next.devices.splice(idx, 1);
  next.assignment = next.assignment.map((row) => row.map((d) => (d === idx ? -1 : d > idx ? d - 1 : d)));
  return next;
}

/** The result of a rebalance: the new ring and how many partition-replicas changed device. */
export interface RebalanceResult {
  ring: RingData;
  /** Partition-replicas that moved from one device to another (first placements not counted). */
  moved: number;
  /** Partitions that could not move because they moved within `minPartHours`. */
  held: number;
}

/**
 * Assigns unassigned slots and sheds partitions from devices holding more than their weight
 * share. `now` (ms, from a Clock) stamps moved partitions and enforces `minPartHours`.
 */
export function rebalance(ring: RingData, now: number): RebalanceResult {
  const next = cloneRing(ring);
  const parts = 2 ** next.partPower;
  const R = next.replicas;
  const devs = next.devices;
  if (devs.length === 0) throw new RangeError('cannot rebalance a ring without devices');
  const desired = desiredParts(next);
  const assigned = new Array<number>(devs.length).fill(0);
  for (const row of next.assignment) for (const d of row) if (d >= 0) assigned[d] = (assigned[d] ?? 0) + 1;
  const before = next.assignment.map((row) => [...row]);
  const windowMs = next.minPartHours * 3_600_000;
  const recentlyMoved = (p: number): boolean => (next.lastMoved[p] ?? 0) + windowMs > now;
  const touched = new Set<number>();
  let held = 0;
  for (let p = 0; p < parts; p++) if (next.assignment.some((row) => row[p] === -1)) touched.add(p);

  // Shed from over-full devices: at most one replica per partition, never a recently moved one.
  const order = shuffled(parts, fnv1a(`shed/${next.version}`));
  for (let d = 0; d < devs.length; d++) {
    const cap = Math.ceil(desired[d] ?? 0);
    for (const p of order) {
      if ((assigned[d] ?? 0) <= cap) break;
      if (touched.has(p)) continue;
      const r = next.assignment.findIndex((row) => row[p] === d);
      if (r < 0) continue;
      if (recentlyMoved(p)) {
        held++;
        continue;
      }
      next.assignment[r]![p] = -1;
      assigned[d] = (assigned[d] ?? 0) - 1;
      touched.add(p);
    }
  }

  // Fill every empty slot with the best device: farthest apart first, then most wanted by weight.
  for (const p of shuffled(parts, fnv1a(`fill/${next.version}`))) {
    if (!touched.has(p)) continue;
    for (let r = 0; r < R; r++) {
      if (next.assignment[r]![p] !== -1) continue;
      const others = next.assignment.map((row) => row[p] ?? -1).filter((d) => d >= 0);
      const best = pickDevice(devs, others, desired, assigned, p);
      if (best < 0) continue;
      next.assignment[r]![p] = best;
      assigned[best] = (assigned[best] ?? 0) + 1;
    }
  }

  let moved = 0;
  for (let p = 0; p < parts; p++) {
    // A slot filled for a partition that had no replica at all is a first placement, not a move.
    if (!before.some((row) => (row[p] ?? -1) >= 0)) continue;
    let partMoved = false;
    for (let r = 0; r < R; r++) {
      if (next.assignment[r]![p] !== before[r]![p]) {
        moved++;
        partMoved = true;
      }
    }
    if (partMoved) next.lastMoved[p] = now;
  }
  next.version = ring.version + 1;
  return { ring: next, moved, held };
}

/** Each device's share of the R × 2^P partition-replicas, by weight. */
export function desiredParts(ring: RingData): number[] {
  const total = ring.devices.reduce((s, d) => s + Math.max(0, d.weight), 0);
  const slots = ring.replicas * 2 ** ring.partPower;
  return ring.devices.map((d) => (total > 0 ? (slots * Math.max(0, d.weight)) / total : 0));
}

/** Per-device balance: wanted vs assigned partition-replicas and how far off (percent). */
export interface DeviceBalance {
  id: string;
  weight: number;
  desired: number;
  assigned: number;
  /** (assigned − desired) / desired × 100; 0 for a device that should hold nothing and holds nothing. */
  percentOff: number;
}

/** How well the ring honors the weights; the worst `percentOff` is Swift's "balance". */
export function ringBalance(ring: RingData): { devices: DeviceBalance[]; worstPercentOff: number } {
  const desired = desiredParts(ring);
  const counts = new Array<number>(ring.devices.length).fill(0);
  for (const row of ring.assignment) for (const d of row) if (d >= 0) counts[d] = (counts[d] ?? 0) + 1;
  const devices = ring.devices.map((d, i) => {
    const want = desired[i] ?? 0;
    const got = counts[i] ?? 0;
    const percentOff = want > 0 ? ((got - want) / want) * 100 : got > 0 ? 100 : 0;
    return { id: d.id, weight: d.weight, desired: want, assigned: got, percentOff };
  });
  return { devices, worstPercentOff: Math.max(0, ...devices.map((d) => Math.abs(d.percentOff))) };
}

function pickDevice(
  devs: RingDevice[],
  others: number[],
  desired: number[],
  assigned: number[],
  p: number,
): number {
  const used = others.map((i) => devs[i]!);
  let best = -1;
  let bestKey: number[] = [];
  for (let i = 0; i < devs.length; i++) {
    const d = devs[i]!;
    if (d.weight <= 0) continue;
    const want = desired[i] ?? 0;
    const key = [
      others.includes(i) ? 0 : 1,
      used.some((u) => u.region === d.region) ? 0 : 1,
      used.some((u) => u.region === d.region && u.zone === d.zone) ? 0 : 1,
      used.some((u) => u.region === d.region && u.zone === d.zone && u.node === d.node) ? 0 : 1,
      want > 0 ? (want - (assigned[i] ?? 0)) / want : -Infinity,
      fnv1a(`${p}/${d.id}`),
    ];
    if (best < 0 || greater(key, bestKey)) {
      best = i;
      bestKey = key;
    }
  }
  return best;
}

function greater(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! !== b[i]!) return a[i]! > b[i]!;
  }
  return false;
}

/** 0..n-1 in a deterministic pseudo-random order (mulberry32 seeded Fisher–Yates). */
function shuffled(n: number, seed: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function cloneRing(ring: RingData): RingData {
  return {
    ...ring,
    devices: ring.devices.map((d) => ({ ...d })),
    assignment: ring.assignment.map((row) => [...row]),
    lastMoved: [...ring.lastMoved],
  };
}
