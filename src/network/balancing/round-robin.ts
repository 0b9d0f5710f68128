import type { Balancer, Candidate } from './balancer.js';

/** Each candidate in turn, weights ignored. */
export class RoundRobin implements Balancer {
  private next = 0;

  pick(candidates: readonly Candidate[]): Candidate | undefined {
    if (candidates.length === 0) return undefined;
    const c = candidates[this.next % candidates.length];
    this.next = (this.next + 1) % 0x40000000;
    return c;
  }
}
