import type { Balancer, Candidate } from './balancer.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

/**
 * The candidate with the fewest requests in flight (per unit of weight when `weighted`); ties
 * go round robin (smooth weighted round robin among the tied ones), as HAProxy's leastconn and
 * nginx's least_conn do, so sequential requests still reach every endpoint.
 */
export class LeastConnections implements Balancer {
  private readonly ties = new WeightedRoundRobin();
  private readonly tied: Candidate[] = [];

  constructor(private readonly weighted: boolean) {}

  pick(candidates: readonly Candidate[]): Candidate | undefined {
    if (candidates.length === 0) return undefined;
    const tied = this.tied;
    tied.length = 0;
    let best = Infinity;
    for (const c of candidates) {
      const load = this.weighted ? c.active / c.weight : c.active;
      if (load < best) {
        best = load;
        tied.length = 0;
      }
      if (load === best) tied.push(this.weighted ? c : { id: c.id, weight: 1, active: c.active });
    }
    const chosen = tied.length === 1 ? tied[0] : this.ties.pick(tied);
    return chosen === undefined ? undefined : candidates.find((c) => c.id === chosen.id);
  }
}
