/**
 * Slow start: an endpoint that has just joined (or come back from being unhealthy) gets a share
 * that grows linearly from 1/10 of its weight to all of it over `windowMs`, as HAProxy's
 * `slowstart` and Envoy's slow start mode do, so a cold process is not flooded at once.
 */
export function slowStartWeight(weight: number, sinceMs: number, nowMs: number, windowMs: number): number {
  if (windowMs <= 0 || weight <= 0) return weight;
  const elapsed = nowMs - sinceMs;
  if (elapsed >= windowMs) return weight;
  const fraction = Math.max(0.1, elapsed / windowMs);
  return weight * fraction;
}
