/**
 * What `stratus smoothness` prints: sparklines of demand, the statistics per workload and pooled,
 * the √n prediction against the measured pooled Cv, the correlations that explain the difference,
 * what consolidation saves, and the utility premium verdict. Pure: no I/O.
 */
import { utilityVerdict, type SmoothnessReport } from './smoothness.js';

const BARS = '▁▂▃▄▅▆▇█';

/** A series as a line of block characters, averaged down to `width` columns, scaled to `max`. */
export function sparkline(values: readonly number[], opts: { width?: number; max?: number } = {}): string {
  const width = Math.min(opts.width ?? 40, values.length);
  if (width === 0) return '';
  const cols: number[] = [];
  for (let c = 0; c < width; c++) {
    const a = Math.floor((c * values.length) / width);
    const b = Math.max(a + 1, Math.floor(((c + 1) * values.length) / width));
    let s = 0;
    for (let i = a; i < b; i++) s += values[i] ?? 0;
    cols.push(s / (b - a));
  }
  const max = opts.max ?? Math.max(...cols);
  return cols
    .map((v) => BARS[max <= 0 ? 0 : Math.min(7, Math.max(0, Math.floor((v / max) * 7.999)))])
    .join('');
}

const fix = (v: number, places = 2): string => v.toFixed(places);

/** Demand in its unit: millicores as cores (`1.25`), bytes as MiB (`512.0Mi`). */
export function formatDemand(v: number, resource: 'cpu' | 'memory'): string {
  return resource === 'cpu' ? `${fix(v / 1000, 3)}` : `${fix(v / 1_048_576, 1)}Mi`;
}

function pad(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The terminal report. `series` gives each workload's demand for its sparkline (same order as the
 * report's workloads), `pooled` the pool's; `premium` the PriceSheet's utility premium, if any.
 */
export function smoothnessText(
  r: SmoothnessReport,
  opts: {
    resource: 'cpu' | 'memory';
    series: readonly (readonly number[])[];
    pooled: readonly number[];
    premium?: number;
  },
): string {
  const d = (v: number): string => formatDemand(v, opts.resource);
  const unit = opts.resource === 'cpu' ? 'cores' : 'memory';
  const rows = [
    ['WORKLOAD', `MEAN(${unit})`, 'SD', 'CV', 'PEAK', 'PEAK/AVG', 'DEMAND'],
    ...r.workloads.map((w, i) => [
      w.name,
      d(w.stats.mean),
      d(w.stats.sd),
      fix(w.stats.cv),
      d(w.stats.peak),
      fix(w.stats.peakToAverage),
      sparkline(opts.series[i] ?? []),
    ]),
    [
      'POOLED',
      d(r.pooled.mean),
      d(r.pooled.sd),
      fix(r.pooled.cv),
      d(r.pooled.peak),
      fix(r.pooled.peakToAverage),
      sparkline(opts.pooled),
    ],
  ];
  const lines = [pad(rows), ''];
  lines.push(
    `Pooling ${r.n} workloads: measured pooled Cv ${fix(r.pooled.cv, 3)}; the √n rule predicts ${fix(r.sqrtNPrediction, 3)} ` +
      `(mean Cv / √${r.n}), ${fix(r.independentCv, 3)} for independent workloads of these sizes.`,
  );
  const gap = r.independentCv === 0 ? 0 : r.pooled.cv / r.independentCv;
  if (r.n > 1)
    lines.push(
      gap > 1.1
        ? 'The pool is rougher than independence predicts: some workloads move together.'
        : gap < 0.9
          ? 'The pool is smoother than independence predicts: some workloads offset each other.'
          : 'The pool is about as smooth as independence predicts.',
    );
  const pairs = (label: string, list: SmoothnessReport['smoothing']): void => {
    if (list.length === 0) return;
    lines.push(`${label}: ${list.map((p) => `${p.a} ~ ${p.b} (r=${fix(p.r)})`).join(', ')}`);
  };
  pairs('Smooth each other', r.smoothing);
  pairs('Move together', r.together);
  lines.push(
    `Capacity: ${d(r.sumOfPeaks)} if each workload has its own sized for its peak, ${d(r.pooledPeak)} pooled; ` +
      `consolidation saves ${fix(r.consolidationSaving * 100, 1)} %.`,
  );
  const premiumText =
    opts.premium === undefined
      ? 'no PriceSheet utility premium to compare'
      : (() => {
          const v = utilityVerdict(r.pooled, opts.premium);
          return `the PriceSheet's premium is ${fix(v.premium)}: ${
            v.cheaper === 'rent'
              ? 'renting (pay per use) is cheaper'
              : v.cheaper === 'own'
                ? 'owning is cheaper'
                : 'they cost the same'
          }`;
        })();
  lines.push(
    `Break-even utility premium (pooled peak/average): ${fix(r.pooled.peakToAverage)}; ${premiumText}.`,
  );
  return lines.join('\n') + '\n';
}
