/**
 * Kubernetes resource quantities held exactly, as `resource.Quantity` does: an integer count of
 * nano-units (bigint, so `1Ei` of bytes and `1n` of a core sum without drift) and the format the
 * text was written in, which decides how a value prints (`1536Mi` stays binary, `1500m` decimal).
 * Sums keep the format of their first non-zero term, as Quantity.Add does. Quota and LimitRange
 * messages print values with `formatQuantity`, Kubernetes' canonical form. Pure.
 */

/** How a quantity prints: binary suffixes (`Ki`), decimal suffixes (`k`, `m`), or `e3`. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** A quantity: its value in nano-units and its format. */
export interface ExactQuantity {
  readonly nanos: bigint;
  readonly format: QuantityFormat;
}

/** Zero, in the format Kubernetes gives a fresh Quantity. */
export const ZERO_QUANTITY: ExactQuantity = { nanos: 0n, format: 'DecimalSI' };

const NANO = 1_000_000_000n;
const DECIMAL: Record<string, number> = { n: -3, u: -2, m: -1, '': 0, k: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };
const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_SUFFIX = ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'];
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const SYNTAX = /^([+-]?)(\d+\.?\d*|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** Integer division rounding towards positive infinity (Quantity rounds lost precision up). */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/**
 * Parses a quantity (`500m`, `1.5Gi`, `2`, `1e3`, or a number) or returns undefined when it is
 * not one. Precision below a nano-unit is rounded up, as Kubernetes does.
 */
export function parseExactQuantity(value: unknown): ExactQuantity | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    value = String(value);
  }
  if (typeof value !== 'string') return undefined;
  const m = SYNTAX.exec(value.trim());
  if (m === null) return undefined;
  const [, sign = '', number = '', exponent, suffix = ''] = m;
  const [whole = '', fraction = ''] = number.split('.');
  let numerator = BigInt(`${whole}${fraction}` || '0') * NANO;
  let denominator = 10n ** BigInt(fraction.length);
  let format: QuantityFormat = 'DecimalSI';
  if (exponent !== undefined) {
    format = 'DecimalExponent';
    const e = Number(exponent.slice(1));
    if (Math.abs(e) > 40) return undefined;
    if (e >= 0) numerator *= 10n ** BigInt(e);
    else denominator *= 10n ** BigInt(-e);
  } else if (suffix in BINARY) {
    format = 'BinarySI';
    numerator *= 1024n ** BigInt(BINARY[suffix] ?? 0);
  } else {
    const e = (DECIMAL[suffix] ?? 0) * 3;
    if (e >= 0) numerator *= 10n ** BigInt(e);
    else denominator *= 10n ** BigInt(-e);
  }
  const nanos = ceilDiv(numerator, denominator);
  return { nanos: sign === '-' ? -nanos : nanos, format };
}

/** A whole number of units (`3` pods, `1048576` bytes) as a quantity. */
export function quantityOf(units: number | bigint, format: QuantityFormat = 'DecimalSI'): ExactQuantity {
  return { nanos: BigInt(units) * NANO, format };
}

/** Kubernetes' canonical text of a quantity (`1500m`, `1Gi`, `1536Mi`, `2`, `1k`, `1e3`). */
export function formatQuantity(q: ExactQuantity): string {
  const negative = q.nanos < 0n;
  const abs = negative ? -q.nanos : q.nanos;
  const sign = negative ? '-' : '';
  if (abs === 0n) return '0';
  if (q.format === 'BinarySI' && abs >= 1024n * NANO && abs % NANO === 0n) {
    let units = abs / NANO;
    let power = 0;
    while (power < 6 && units % 1024n === 0n) {
      units /= 1024n;
      power++;
    }
    return `${sign}${units}${BINARY_SUFFIX[power] ?? ''}`;
  }
  let mantissa = abs;
  let exponent = -3;
  while (exponent < 6 && mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    exponent++;
  }
  if (q.format === 'DecimalExponent') {
    return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent * 3}`}`;
  }
  return `${sign}${mantissa}${DECIMAL_SUFFIX[exponent + 3] ?? ''}`;
}

/** a + b, in a's format unless a is zero (then b's), as Quantity.Add. */
export function addQuantity(a: ExactQuantity, b: ExactQuantity): ExactQuantity {
  return { nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

/** a − b, in a's format unless a is zero. */
export function subtractQuantity(a: ExactQuantity, b: ExactQuantity): ExactQuantity {
  return { nanos: a.nanos - b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

/** −1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareQuantity(a: ExactQuantity, b: ExactQuantity): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** The value in thousandths of a unit, rounded up (Quantity.MilliValue). */
export function milliValue(q: ExactQuantity): bigint {
  return ceilDiv(q.nanos, 1_000_000n);
}

/** The value in whole units, rounded up (Quantity.Value). */
export function unitValue(q: ExactQuantity): bigint {
  return ceilDiv(q.nanos, NANO);
}
