/**
 * Downsampling of usage records by age, as Gnocchi's archive policies and Prometheus' recording
 * rules do: raw 15 s points for a day, 5 min for a month, 1 h for a year. A rollup sums counters
 * (coverage, cpu-milliseconds, KiB-seconds, requests, bytes), so every total over a whole interval
 * is the same before and after. Pure: no I/O.
 */
import type { UsagePoint } from './usage-codec.js';

/** One resolution: points `step` seconds apart, kept `retention` seconds, stored in chunks of `chunk` seconds. */
export interface UsageTier {
  step: number;
  retention: number;
  chunk: number;
  /** Store pod and bucket values in these units (default 1): coarse tiers need no byte precision. */
  quanta?: { pod: readonly number[]; bucket: readonly number[] };
}

const DAY = 86_400;

/** The default policy: raw for a day, 5 min for 30 days, 1 h for 365 days. */
export const USAGE_TIERS: readonly UsageTier[] = [
  { step: 15, retention: DAY, chunk: 3_600 },
  { step: 300, retention: 30 * DAY, chunk: DAY },
  {
    step: 3_600,
    retention: 365 * DAY,
    chunk: 7 * DAY,
    // 0.1 cpu-second and 1 MiB-second: an hour's rounding is below a millionth of its sum
    quanta: { pod: [1, 100, 1_024], bucket: [1, 1_024, 1, 1, 1] },
  },
];

/** Where an instant falls at a resolution: the start of its interval. */
export function alignDown(t: number, step: number): number {
  return Math.floor(t / step) * step;
}

/**
 * Sums points into intervals of `step` seconds (a multiple of theirs), sorted by time. Why sums
 * and not averages: a sum of sums is exact, so downsampling never moves a bill.
 */
export function rollup(points: readonly UsagePoint[], step: number): UsagePoint[] {
  const out = new Map<number, number[]>();
  for (const p of points) {
    const t = alignDown(p.t, step);
    const acc = out.get(t);
    if (acc === undefined) out.set(t, [...p.values]);
    else p.values.forEach((v, i) => (acc[i] = (acc[i] ?? 0) + v));
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([t, values]) => ({ t, values }));
}

/** Merges two sorted point lists of one resolution, summing points at the same time. */
export function mergePoints(a: readonly UsagePoint[], b: readonly UsagePoint[], step: number): UsagePoint[] {
  return rollup([...a, ...b], step);
}

/** The sum of every value over points (index 0 is coverage seconds). */
export function totals(points: readonly UsagePoint[], width: number): number[] {
  const out = new Array<number>(width).fill(0);
  for (const p of points) for (let i = 0; i < width; i++) out[i] = (out[i] ?? 0) + (p.values[i] ?? 0);
  return out;
}

/**
 * Regular buckets of `step` seconds over `[from, to)`, each the sum of the points in it; a point
 * coarser than `step` is spread evenly over the buckets it covers (its distribution inside is
 * unknown). Used to line workloads up on one time axis for smoothness analysis.
 */
export function resample(
  points: readonly { t: number; step: number; value: number }[],
  opts: { from: number; to: number; step: number },
): number[] {
  const n = Math.max(0, Math.ceil((opts.to - opts.from) / opts.step));
  const out = new Array<number>(n).fill(0);
  for (const p of points) {
    if (p.step <= opts.step) {
      const i = Math.floor((p.t - opts.from) / opts.step);
      if (i >= 0 && i < n) out[i] = (out[i] ?? 0) + p.value;
      continue;
    }
    const parts = Math.round(p.step / opts.step);
    for (let k = 0; k < parts; k++) {
      const i = Math.floor((p.t + k * opts.step - opts.from) / opts.step);
      if (i >= 0 && i < n) out[i] = (out[i] ?? 0) + p.value / parts;
    }
  }
  return out;
}
