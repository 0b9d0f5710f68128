/**
 * Counters of a listener and of each endpoint: requests (connections for L4), failures,
 * retries, bytes each way, responses by class and a latency histogram with Prometheus-style
 * cumulative-ready buckets. Each thread keeps its own; `mergeTraffic` sums them for
 * `DataPlane.stats()`, which `stratus explain` and the metrics endpoint read. Pure.
 */

/** Upper bounds of the latency buckets in ms; the last count is everything above. */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000,
];

/** Response classes counted. */
export type ResponseClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/** The counters (plain data: it crosses threads and goes out as JSON). */
export interface Traffic {
  requests: number;
  failures: number;
  retries: number;
  bytesIn: number;
  bytesOut: number;
  responses: Record<ResponseClass, number>;
  /** Counts per bucket of LATENCY_BUCKETS_MS, plus one for slower requests. */
  latencyCounts: number[];
  latencySumMs: number;
}

/** Zeroed counters. */
export function emptyTraffic(): Traffic {
  return {
    requests: 0,
    failures: 0,
    retries: 0,
    bytesIn: 0,
    bytesOut: 0,
    responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    latencyCounts: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
    latencySumMs: 0,
  };
}

/** Counts one finished request (status 0 for L4 connections and failed requests). */
export function recordRequest(
  t: Traffic,
  status: number,
  latencyMs: number,
  bytesIn: number,
  bytesOut: number,
): void {
  t.requests++;
  t.bytesIn += bytesIn;
  t.bytesOut += bytesOut;
  if (status >= 100 && status < 600) t.responses[`${Math.floor(status / 100)}xx` as ResponseClass]++;
  let b = 0;
  while (b < LATENCY_BUCKETS_MS.length && latencyMs > (LATENCY_BUCKETS_MS[b] as number)) b++;
  t.latencyCounts[b] = (t.latencyCounts[b] ?? 0) + 1;
  t.latencySumMs += latencyMs;
}

/** Adds `from` into `into`. */
export function mergeTraffic(into: Traffic, from: Traffic): Traffic {
  into.requests += from.requests;
  into.failures += from.failures;
  into.retries += from.retries;
  into.bytesIn += from.bytesIn;
  into.bytesOut += from.bytesOut;
  for (const k of Object.keys(into.responses) as ResponseClass[]) into.responses[k] += from.responses[k];
  from.latencyCounts.forEach((n, i) => (into.latencyCounts[i] = (into.latencyCounts[i] ?? 0) + n));
  into.latencySumMs += from.latencySumMs;
  return into;
}

/** The latency below which `q` (0–1) of the requests finished, from the histogram (bucket bound). */
export function latencyQuantileMs(t: Traffic, q: number): number | undefined {
  const total = t.latencyCounts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  let seen = 0;
  for (let i = 0; i < t.latencyCounts.length; i++) {
    seen += t.latencyCounts[i] as number;
    if (seen >= q * total) return LATENCY_BUCKETS_MS[i] ?? Infinity;
  }
  return Infinity;
}

/** An endpoint's figures as `stats()` reports them. */
export interface EndpointStats {
  id: string;
  address: string;
  port: number;
  weight: number;
  /** serving, draining (terminating or not ready), unhealthy (active checks), ejected (passive). */
  state: string;
  /** Requests (L7) or connections (L4) in flight. */
  active: number;
  traffic: Traffic;
}

/** A listener's figures as `stats()` reports them. */
export interface ListenerStats {
  name: string;
  protocol: string;
  address: string;
  port: number;
  algorithm: string;
  /** The data plane serving it: `node` or `haproxy`. */
  driver: string;
  /** Client connections open now, and accepted since start. */
  activeConnections: number;
  connections: number;
  traffic: Traffic;
  endpoints: EndpointStats[];
}
