import type { Balancer, Candidate, PickRequest } from './balancer.js';
import { hash32 } from './hash.js';
import { RoundRobin } from './round-robin.js';

/**
 * Map-based hashing of the client's address, as HAProxy's `balance source`: the hash modulo
 * the total weight picks the endpoint, so a client keeps its endpoint while the set is
 * unchanged (most clients move when it changes; `consistent-hash` moves few). No key: round
 * robin.
 */
export class SourceHash implements Balancer {
  private readonly fallback = new RoundRobin();

  pick(candidates: readonly Candidate[], request?: PickRequest): Candidate | undefined {
    const key = request?.key;
    if (key === undefined || key === '' || candidates.length === 0) return this.fallback.pick(candidates);
    let total = 0;
    for (const c of candidates) total += c.weight;
    let r = hash32(key) % Math.max(1, Math.round(total));
    for (const c of candidates) {
      r -= c.weight;
      if (r < 0) return c;
    }
    return candidates[candidates.length - 1];
  }
}
