/**
 * Cost of usage under a PriceSheet, in integer micro-units of the currency (BigInt), so sums never
 * drift: prices are decimal strings parsed exactly, quantities are integers in base units
 * (cpu-milliseconds, KiB-seconds, requests, bytes). Pure: no I/O.
 */

/** The prices of a `billing.stratus.dev/v1` PriceSheet's spec, as decimal strings. */
export interface Prices {
  currency?: string;
  cpuPerVcpuHour?: string;
  memoryPerGiBHour?: string;
  storagePerGiBMonth?: string;
  per1000Requests?: string;
  perGiBTransferred?: string;
  /** How much an on-demand unit-hour costs over an owned one (e.g. "1.5"), for smoothness. */
  utilityPremium?: string;
}

/** Integer usage totals of a group: what a bill is computed from. */
export interface UsageTotals {
  /** Seconds the series were seen, summed. */
  seconds: number;
  cpuMs: number;
  cpuRequestMs: number;
  memKiBs: number;
  memRequestKiBs: number;
  storageKiBs: number;
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

/** Zero totals, to add into. */
export function emptyTotals(): UsageTotals {
  return {
    seconds: 0,
    cpuMs: 0,
    cpuRequestMs: 0,
    memKiBs: 0,
    memRequestKiBs: 0,
    storageKiBs: 0,
    requests: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
}

/** Adds `b` into `a` (returns `a`). */
export function addTotals(a: UsageTotals, b: UsageTotals): UsageTotals {
  for (const k of Object.keys(a) as (keyof UsageTotals)[]) a[k] += b[k];
  return a;
}

const DECIMAL = /^(\d+)(?:\.(\d{1,6}))?$/;

/** A price as integer micro-units, or undefined when it is not a decimal with at most 6 places. */
export function parseMicros(price: string | undefined): bigint | undefined {
  if (price === undefined) return 0n;
  const m = DECIMAL.exec(price.trim());
  if (m === null) return undefined;
  return BigInt(m[1] ?? '0') * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** Micro-units as a decimal string with `places` decimals (rounded half up). */
export function formatMicros(micros: bigint, places = 6): string {
  const scale = 10n ** BigInt(6 - places);
  const q = (micros + scale / 2n) / scale;
  const unit = 10n ** BigInt(places);
  const whole = q / unit;
  const frac = (q % unit).toString().padStart(places, '0');
  return places === 0 ? whole.toString() : `${whole}.${frac}`;
}

/** An integer ratio as a decimal string with `places` decimals (for GiB-hours, core-hours). */
export function formatRatio(n: number, d: number, places = 4): string {
  const unit = 10n ** BigInt(places);
  const q = (BigInt(Math.round(n)) * unit * 2n + BigInt(d)) / (2n * BigInt(d));
  return `${q / unit}.${(q % unit).toString().padStart(places, '0')}`;
}

/** CPU-milliseconds in a vCPU-hour. */
export const MS_PER_VCPU_HOUR = 3_600_000;
/** KiB-seconds in a GiB-hour. */
export const KIBS_PER_GIB_HOUR = 1_048_576 * 3_600;
/** KiB-seconds in a GiB-month (a month is 30 days, as most providers bill). */
export const KIBS_PER_GIB_MONTH = 1_048_576 * 30 * 86_400;
/** Bytes in a GiB. */
export const BYTES_PER_GIB = 1_073_741_824;

const mulDiv = (q: number, micros: bigint, per: number): bigint =>
  (BigInt(Math.round(q)) * micros * 2n + BigInt(per)) / (2n * BigInt(per));

/** The cost of totals at these prices, per line and in all, in micro-units. */
export function costOf(
  t: UsageTotals,
  prices: Prices,
): { cpu: bigint; memory: bigint; storage: bigint; requests: bigint; transfer: bigint; total: bigint } {
  const p = (s: string | undefined): bigint => parseMicros(s) ?? 0n;
  const cpu = mulDiv(t.cpuMs, p(prices.cpuPerVcpuHour), MS_PER_VCPU_HOUR);
  const memory = mulDiv(t.memKiBs, p(prices.memoryPerGiBHour), KIBS_PER_GIB_HOUR);
  const storage = mulDiv(t.storageKiBs, p(prices.storagePerGiBMonth), KIBS_PER_GIB_MONTH);
  const requests = mulDiv(t.requests, p(prices.per1000Requests), 1000);
  const transfer = mulDiv(t.bytesIn + t.bytesOut, p(prices.perGiBTransferred), BYTES_PER_GIB);
  return { cpu, memory, storage, requests, transfer, total: cpu + memory + storage + requests + transfer };
}
