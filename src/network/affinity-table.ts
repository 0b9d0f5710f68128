/**
 * Source-address persistence in shared memory: a fixed hash table in an Int32Array (a
 * SharedArrayBuffer in the node data plane, so every thread sees the same pins) of
 * [key hash, endpoint hash, expiry second] triples, probed linearly over 8 slots; a full window
 * replaces its soonest-expiring entry. Two threads racing on one slot lose at most a pin, never
 * a request. Pure.
 */
import { hash32 } from './balancing/hash.js';
import type { AffinityStore } from './endpoint-pool.js';

const PROBES = 8;
/** Expiry seconds count from 2024 so that they fit in an Int32 for another 60 years. */
const EPOCH_S = 1_704_067_200;

/** The Int32Array length a table of `capacity` entries needs. */
export function affinityTableLength(capacity: number): number {
  return capacity * 3;
}

/** See the file comment. */
export class AffinityTable implements AffinityStore {
  private readonly capacity: number;

  constructor(private readonly cells: Int32Array) {
    this.capacity = Math.floor(cells.length / 3);
    if (this.capacity < PROBES) throw new RangeError('an affinity table needs at least 8 entries');
  }

  get(key: string, nowMs: number): number | undefined {
    const k = keyHash(key);
    const now = seconds(nowMs);
    for (let i = 0, at = this.start(k); i < PROBES; i++, at = (at + 1) % this.capacity) {
      if (Atomics.load(this.cells, at * 3) !== k) continue;
      if (Atomics.load(this.cells, at * 3 + 2) <= now) return undefined;
      return Atomics.load(this.cells, at * 3 + 1) >>> 0;
    }
    return undefined;
  }

  set(key: string, endpointHash: number, expiresMs: number): void {
    const k = keyHash(key);
    let victim = this.start(k);
    let soonest = Infinity;
    for (let i = 0, at = victim; i < PROBES; i++, at = (at + 1) % this.capacity) {
      const current = Atomics.load(this.cells, at * 3);
      if (current === k || current === 0) {
        victim = at;
        break;
      }
      const expiry = Atomics.load(this.cells, at * 3 + 2);
      if (expiry < soonest) {
        soonest = expiry;
        victim = at;
      }
    }
    Atomics.store(this.cells, victim * 3 + 1, endpointHash | 0);
    Atomics.store(this.cells, victim * 3 + 2, seconds(expiresMs));
    Atomics.store(this.cells, victim * 3, k);
  }

  private start(k: number): number {
    return (k >>> 0) % this.capacity;
  }
}

function keyHash(key: string): number {
  return hash32(key) | 1;
}

function seconds(ms: number): number {
  return Math.ceil(ms / 1000) - EPOCH_S;
}
