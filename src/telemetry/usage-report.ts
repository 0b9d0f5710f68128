/**
 * From usage records to what `stratus usage` prints: totals per series, grouped by namespace,
 * workload or a label, priced with a PriceSheet, as a table, JSON or RFC 4180 CSV. Pure: no I/O.
 */
import {
  addTotals,
  costOf,
  emptyTotals,
  formatMicros,
  formatRatio,
  KIBS_PER_GIB_HOUR,
  MS_PER_VCPU_HOUR,
  type Prices,
  type UsageTotals,
} from './cost.js';
import type { SeriesInfo } from './usage-db.js';
import { resample } from './usage-rollup.js';

/** One series' identity and totals, as the usage API lists it. */
export interface UsageItem {
  info: SeriesInfo;
  totals: UsageTotals;
  /** Demand per step (millicores or bytes), when asked for. */
  demand?: number[];
}

/** The totals of one series' points (pod `[s, cpu-ms, KiB-s]`, bucket `[s, KiB-s, req, in, out]`). */
export function seriesTotals(
  info: SeriesInfo,
  points: readonly { values: readonly number[] }[],
): UsageTotals {
  const t = emptyTotals();
  for (const p of points) {
    const v = p.values;
    const s = v[0] ?? 0;
    t.seconds += s;
    if (info.kind === 'pod') {
      t.cpuMs += v[1] ?? 0;
      t.memKiBs += v[2] ?? 0;
    } else {
      t.storageKiBs += v[1] ?? 0;
      t.requests += v[2] ?? 0;
      t.bytesIn += v[3] ?? 0;
      t.bytesOut += v[4] ?? 0;
    }
  }
  if (info.kind === 'pod') {
    t.cpuRequestMs = info.cpuRequestMilli * t.seconds;
    t.memRequestKiBs = Math.round((info.memRequestBytes / 1024) * t.seconds);
  }
  return t;
}

/**
 * A series' demand on a regular axis: average millicores (cpu) or bytes (memory) per step. Only
 * pods have demand; a bucket's is empty.
 */
export function seriesDemand(
  info: SeriesInfo,
  points: readonly { t: number; step: number; values: readonly number[] }[],
  opts: { from: number; to: number; step: number; resource: 'cpu' | 'memory' },
): number[] {
  if (info.kind !== 'pod') return [];
  const i = opts.resource === 'cpu' ? 1 : 2;
  const sums = resample(
    points.map((p) => ({ t: p.t, step: p.step, value: p.values[i] ?? 0 })),
    opts,
  );
  const scale = opts.resource === 'cpu' ? 1 / opts.step : 1024 / opts.step;
  // whole millicores and bytes: integer base units, and a short JSON answer
  return sums.map((s) => Math.round(s * scale));
}

/** How `stratus usage --by` groups: namespace, workload (`namespace/Kind/name`) or a label's value. */
export type GroupBy = { by: 'namespace' } | { by: 'workload' } | { by: 'label'; key: string };

/** The group an item falls in. */
export function groupKey(info: SeriesInfo, g: GroupBy): string {
  if (g.by === 'namespace') return info.namespace;
  if (g.by === 'workload') return `${info.namespace}/${info.owner}`;
  return info.labels[g.key] ?? '';
}

/** One row of the report: a group, its totals and cost in micro-units. */
export interface UsageRow {
  group: string;
  totals: UsageTotals;
  cost: bigint;
}

/** Sums items into groups, priced; sorted by group. */
export function groupUsage(items: readonly UsageItem[], g: GroupBy, prices: Prices): UsageRow[] {
  const groups = new Map<string, UsageTotals>();
  for (const it of items) {
    const k = groupKey(it.info, g);
    groups.set(k, addTotals(groups.get(k) ?? emptyTotals(), it.totals));
  }
  return [...groups.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([group, totals]) => ({ group, totals, cost: costOf(totals, prices).total }));
}

/** The report's columns, in order: header names and how each row renders its cell. */
const COLUMNS: { name: string; cell(r: UsageRow): string }[] = [
  { name: 'CPU_CORE_HOURS', cell: (r) => formatRatio(r.totals.cpuMs, MS_PER_VCPU_HOUR) },
  { name: 'CPU_REQUESTED_CORE_HOURS', cell: (r) => formatRatio(r.totals.cpuRequestMs, MS_PER_VCPU_HOUR) },
  { name: 'MEMORY_GIB_HOURS', cell: (r) => formatRatio(r.totals.memKiBs, KIBS_PER_GIB_HOUR) },
  {
    name: 'MEMORY_REQUESTED_GIB_HOURS',
    cell: (r) => formatRatio(r.totals.memRequestKiBs, KIBS_PER_GIB_HOUR),
  },
  { name: 'STORAGE_GIB_HOURS', cell: (r) => formatRatio(r.totals.storageKiBs, KIBS_PER_GIB_HOUR) },
  { name: 'S3_REQUESTS', cell: (r) => String(r.totals.requests) },
  { name: 'BYTES_IN', cell: (r) => String(r.totals.bytesIn) },
  { name: 'BYTES_OUT', cell: (r) => String(r.totals.bytesOut) },
  { name: 'COST', cell: (r) => formatMicros(r.cost, 2) },
];

/** Header and rows of cells (the group column first, named after the grouping). */
export function usageCells(rows: readonly UsageRow[], groupName: string): string[][] {
  const total: UsageRow = {
    group: 'TOTAL',
    totals: rows.reduce((t, r) => addTotals(t, r.totals), emptyTotals()),
    cost: rows.reduce((s, r) => s + r.cost, 0n),
  };
  return [
    [groupName.toUpperCase(), ...COLUMNS.map((c) => c.name)],
    ...[...rows, total].map((r) => [r.group, ...COLUMNS.map((c) => c.cell(r))]),
  ];
}

/** RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, quote or line break. */
export function toCsv(cells: readonly (readonly string[])[]): string {
  const field = (f: string): string => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
  return cells.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}
