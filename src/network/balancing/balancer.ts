/**
 * The one interface every balancing algorithm implements. A data plane filters its endpoints
 * (healthy, not draining, under their connection limit, not already tried by this request) and
 * asks the algorithm to choose among the rest. Algorithms are pure: state they keep (a round
 * robin position, smooth weights, a hash ring) is in the instance, randomness is injected.
 */

/** An eligible endpoint as the algorithm sees it. */
export interface Candidate {
  /** Stable id of the endpoint. */
  readonly id: string;
  /** Effective weight (> 0), slow start already applied. */
  readonly weight: number;
  /** Requests or connections in flight to it now. */
  readonly active: number;
}

/** What the algorithm may know of the request: the hash key (client address, header, cookie). */
export interface PickRequest {
  key?: string | undefined;
}

/** A balancing algorithm. */
export interface Balancer {
  /** Chooses one of `candidates` (a stable order), or undefined when there are none. */
  pick(candidates: readonly Candidate[], request?: PickRequest): Candidate | undefined;
}

/** A source of uniform numbers in [0, 1): Math.random by default, a seeded one in tests. */
export type RandomSource = () => number;

/** A small seeded generator (mulberry32) for reproducible tests. */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
