import type { Balancer, Candidate } from './balancer.js';

/**
 * nginx's smooth weighted round robin: every pick adds each candidate's weight to its current
 * value, takes the highest and subtracts the total from it. Weights 5:1:1 give a b a c a a a
 * rather than five a's in a row.
 */
export class WeightedRoundRobin implements Balancer {
  private readonly current = new Map<string, number>();

  pick(candidates: readonly Candidate[]): Candidate | undefined {
    if (candidates.length === 0) return undefined;
    if (this.current.size > 4 * candidates.length + 16) this.prune(candidates);
    let total = 0;
    let best: Candidate | undefined;
    let bestValue = -Infinity;
    for (const c of candidates) {
      const value = (this.current.get(c.id) ?? 0) + c.weight;
      this.current.set(c.id, value);
      total += c.weight;
      if (value > bestValue) {
        best = c;
        bestValue = value;
      }
    }
    if (best !== undefined) this.current.set(best.id, bestValue - total);
    return best;
  }

  /** Forgets endpoints that are gone, so the map does not grow with churn. */
  private prune(candidates: readonly Candidate[]): void {
    const keep = new Set(candidates.map((c) => c.id));
    for (const id of this.current.keys()) if (!keep.has(id)) this.current.delete(id);
  }
}
