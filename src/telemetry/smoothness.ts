/**
 * The economics of pooling for a set of demand curves (the course's "smoothness" argument): per
 * workload and for their sum, mean, σ, Cv = σ/μ, peak and peak/average; the √n rule's prediction
 * for the pool against the measured pooled Cv; the pairwise correlations that explain the gap; the
 * capacity each workload needs alone at its peak against the pool's peak; and the break-even
 * utility premium (peak/average) above which owning capacity beats renting it. Pure: no I/O.
 */

/** Summary statistics of one demand curve. */
export interface DemandStats {
  mean: number;
  /** Population standard deviation. */
  sd: number;
  /** Coefficient of variation σ/μ (0 for a zero mean). */
  cv: number;
  peak: number;
  /** Peak over average: the break-even utility premium for this demand alone. */
  peakToAverage: number;
}

/** One pair of workloads and the Pearson correlation of their demand. */
export interface PairCorrelation {
  a: string;
  b: string;
  r: number;
}

/** What `smoothness` finds for a set of named series sampled on the same time axis. */
export interface SmoothnessReport {
  workloads: { name: string; stats: DemandStats }[];
  pooled: DemandStats;
  /** The number of workloads with non-zero demand. */
  n: number;
  /** The √n rule: the mean Cv of the workloads divided by √n (equal, independent workloads). */
  sqrtNPrediction: number;
  /** The pooled Cv were the workloads independent: √(Σσ²)/Σμ (the √n rule for unequal sizes). */
  independentCv: number;
  /** Most negatively correlated pairs first: these smooth each other. */
  smoothing: PairCorrelation[];
  /** Most positively correlated pairs first: these move together and gain nothing from pooling. */
  together: PairCorrelation[];
  /** Capacity if every workload had its own, sized for its own peak. */
  sumOfPeaks: number;
  /** Capacity of the pool, sized for its peak. */
  pooledPeak: number;
  /** The fraction of capacity consolidation saves: 1 − pooledPeak / sumOfPeaks. */
  consolidationSaving: number;
}

/** Mean, σ, Cv, peak and peak/average of one series. */
export function demandStats(xs: readonly number[]): DemandStats {
  const n = xs.length;
  if (n === 0) return { mean: 0, sd: 0, cv: 0, peak: 0, peakToAverage: 0 };
  let sum = 0;
  let peak = -Infinity;
  for (const x of xs) {
    sum += x;
    if (x > peak) peak = x;
  }
  const mean = sum / n;
  let sq = 0;
  for (const x of xs) sq += (x - mean) * (x - mean);
  const sd = Math.sqrt(sq / n);
  return {
    mean,
    sd,
    cv: mean === 0 ? 0 : sd / mean,
    peak,
    peakToAverage: mean === 0 ? 0 : peak / mean,
  };
}

/** The element-wise sum of series of one length: the pool's demand. */
export function pool(series: readonly (readonly number[])[]): number[] {
  const len = Math.max(0, ...series.map((s) => s.length));
  const out = new Array<number>(len).fill(0);
  for (const s of series) for (let i = 0; i < s.length; i++) out[i] = (out[i] ?? 0) + (s[i] ?? 0);
  return out;
}

/** Pearson correlation of two series of one length (0 when either is constant). */
export function correlation(
  a: readonly number[],
  b: readonly number[],
  sa?: DemandStats,
  sb?: DemandStats,
): number {
  const x = sa ?? demandStats(a);
  const y = sb ?? demandStats(b);
  const n = Math.min(a.length, b.length);
  if (n === 0 || x.sd === 0 || y.sd === 0) return 0;
  let cov = 0;
  for (let i = 0; i < n; i++) cov += ((a[i] ?? 0) - x.mean) * ((b[i] ?? 0) - y.mean);
  return cov / n / (x.sd * y.sd);
}

/**
 * Analyses named series on one time axis. `pairs` bounds the correlation lists (default 5 each);
 * every pair is computed, n²/2 passes over the series, which for 100 workloads × 30 days at 5 min
 * is 43 M multiply-adds.
 */
export function smoothness(
  series: readonly { name: string; values: readonly number[] }[],
  opts: { pairs?: number } = {},
): SmoothnessReport {
  const keep = opts.pairs ?? 5;
  const workloads = series.map((s) => ({ name: s.name, stats: demandStats(s.values) }));
  const pooledValues = pool(series.map((s) => s.values));
  const pooled = demandStats(pooledValues);
  const active = workloads.filter((w) => w.stats.mean > 0);
  const n = active.length;
  const meanCv = n === 0 ? 0 : active.reduce((s, w) => s + w.stats.cv, 0) / n;
  const sumMean = workloads.reduce((s, w) => s + w.stats.mean, 0);
  const sumVar = workloads.reduce((s, w) => s + w.stats.sd * w.stats.sd, 0);
  const pairs: PairCorrelation[] = [];
  for (let i = 0; i < series.length; i++) {
    for (let j = i + 1; j < series.length; j++) {
      const a = series[i];
      const b = series[j];
      const sa = workloads[i]?.stats;
      const sb = workloads[j]?.stats;
      if (a === undefined || b === undefined || sa === undefined || sb === undefined) continue;
      if (sa.sd === 0 || sb.sd === 0) continue;
      pairs.push({ a: a.name, b: b.name, r: correlation(a.values, b.values, sa, sb) });
    }
  }
  pairs.sort((p, q) => p.r - q.r);
  const sumOfPeaks = workloads.reduce((s, w) => s + w.stats.peak, 0);
  return {
    workloads,
    pooled,
    n,
    sqrtNPrediction: n === 0 ? 0 : meanCv / Math.sqrt(n),
    independentCv: sumMean === 0 ? 0 : Math.sqrt(sumVar) / sumMean,
    smoothing: pairs.filter((p) => p.r < 0).slice(0, keep),
    together: pairs
      .filter((p) => p.r > 0)
      .slice(-keep)
      .reverse(),
    sumOfPeaks,
    pooledPeak: pooled.peak,
    consolidationSaving: sumOfPeaks === 0 ? 0 : 1 - pooled.peak / sumOfPeaks,
  };
}

/**
 * Owning versus renting for a demand: owning pays for the peak all the time, renting pays the
 * premium on the average only, so renting wins while `premium < peak/average`. Costs are in units
 * of one owned unit-hour.
 */
export function utilityVerdict(
  stats: DemandStats,
  premium: number,
): { breakEven: number; premium: number; cheaper: 'rent' | 'own' | 'either' } {
  const breakEven = stats.peakToAverage;
  const cheaper = premium < breakEven ? 'rent' : premium > breakEven ? 'own' : 'either';
  return { breakEven, premium, cheaper };
}
