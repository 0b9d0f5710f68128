import type { Balancer, Candidate, PickRequest } from './balancer.js';
import { hash32 } from './hash.js';
import { RoundRobin } from './round-robin.js';

/** Ring points per unit of weight: with 128 an endpoint's share is within about ±10 % of fair. */
const POINTS_PER_WEIGHT = 128;
/** Rings kept for recently seen candidate sets (a retry that excludes one endpoint is another set). */
const RING_CACHE = 8;

/** A sorted ring of points; `owner[i]` is the candidate index of `points[i]`. */
interface Ring {
  points: Uint32Array;
  owner: Uint32Array;
}

function buildRing(candidates: readonly Candidate[]): Ring {
  const entries: Array<[number, number]> = [];
  candidates.forEach((c, index) => {
    const n = Math.max(1, Math.round(c.weight * POINTS_PER_WEIGHT));
    for (let i = 0; i < n; i++) entries.push([hash32(`${c.id}#${i}`), index]);
  });
  entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    points: Uint32Array.from(entries, (e) => e[0]),
    owner: Uint32Array.from(entries, (e) => e[1]),
  };
}

/**
 * Consistent hashing on a ring (ketama style): each endpoint owns POINTS_PER_WEIGHT × weight
 * points named after its id, a key goes to the first point at or after its hash. Adding an
 * endpoint to n moves only the keys its points take, about 1/(n+1) of them; removing one moves
 * only its own keys. No key: round robin (as HAProxy's `balance hdr()` without the header).
 */
export class ConsistentHash implements Balancer {
  private readonly fallback = new RoundRobin();
  private readonly rings = new Map<string, Ring>();

  pick(candidates: readonly Candidate[], request?: PickRequest): Candidate | undefined {
    const key = request?.key;
    if (key === undefined || key === '' || candidates.length <= 1) return this.fallback.pick(candidates);
    const ring = this.ringFor(candidates);
    const h = hash32(key);
    let lo = 0;
    let hi = ring.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ring.points[mid] as number) < h) lo = mid + 1;
      else hi = mid;
    }
    return candidates[ring.owner[lo === ring.points.length ? 0 : lo] as number];
  }

  private ringFor(candidates: readonly Candidate[]): Ring {
    let signature = '';
    for (const c of candidates) signature += `${c.id}\u0000${c.weight}\u0000`;
    let ring = this.rings.get(signature);
    if (ring === undefined) {
      ring = buildRing(candidates);
      if (this.rings.size >= RING_CACHE) this.rings.delete(this.rings.keys().next().value as string);
    } else {
      this.rings.delete(signature);
    }
    this.rings.set(signature, ring);
    return ring;
  }
}
