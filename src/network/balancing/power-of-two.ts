import type { Balancer, Candidate, RandomSource } from './balancer.js';

/**
 * Power of two random choices: draw two different candidates at random (in proportion to
 * weight) and take the one with fewer requests in flight per unit of weight. It avoids the
 * most loaded endpoint without the herding of strict least connections.
 */
export class PowerOfTwo implements Balancer {
  constructor(private readonly random: RandomSource = Math.random) {}

  pick(candidates: readonly Candidate[]): Candidate | undefined {
    if (candidates.length <= 1) return candidates[0];
    let total = 0;
    for (const c of candidates) total += c.weight;
    const first = this.draw(candidates, total, undefined);
    const second = this.draw(candidates, total - first.weight, first);
    return second.active / second.weight < first.active / first.weight ? second : first;
  }

  private draw(candidates: readonly Candidate[], total: number, skip: Candidate | undefined): Candidate {
    let r = this.random() * total;
    let last = candidates[0] as Candidate;
    for (const c of candidates) {
      if (c === skip) continue;
      last = c;
      r -= c.weight;
      if (r < 0) return c;
    }
    return last;
  }
}
