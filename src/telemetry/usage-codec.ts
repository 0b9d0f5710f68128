/**
 * The compact form of usage records: a chunk of points of one series at one resolution, written as
 * varints of zigzag deltas against the previous point, so a steady series costs a byte or two per
 * value. Integers only (quantities in base units), exact up to 2^53. Pure: no I/O.
 */

/** One usage record: the sums of a series' counters over `[t, t + step)` seconds. */
export interface UsagePoint {
  /** Start of the interval, seconds since the epoch, a multiple of its tier's step. */
  t: number;
  /** Integer sums; the first is always the seconds the series was seen (coverage). */
  values: number[];
}

function pushVarint(out: number[], v: number): void {
  let n = v;
  while (n >= 128) {
    out.push((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

const zig = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
const unzig = (v: number): number => (v % 2 === 0 ? v / 2 : -(v + 1) / 2);

/**
 * Encodes points sorted by `t` (all of `width` values, at `step` seconds apart or more): the count,
 * then per point the number of empty slots before it and each value's change from the previous
 * point. Why deltas: usage moves slowly from one interval to the next. `quanta` (default 1 for
 * each value) stores a value in units of its quantum, for coarse tiers where a KiB-second is noise.
 */
export function encodePoints(
  points: readonly UsagePoint[],
  opts: { step: number; width: number; quanta?: readonly number[] },
): Uint8Array {
  const out: number[] = [];
  const err = new Array<number>(opts.width).fill(0);
  pushVarint(out, points.length);
  let prevT = points[0] === undefined ? 0 : points[0].t - opts.step;
  if (points[0] !== undefined) pushVarint(out, zig(points[0].t));
  const prev = new Array<number>(opts.width).fill(0);
  for (const p of points) {
    const gap = (p.t - prevT) / opts.step - 1;
    if (!Number.isInteger(gap) || gap < 0)
      throw new RangeError(`points out of order or misaligned at t=${p.t}`);
    pushVarint(out, gap);
    for (let i = 0; i < opts.width; i++) {
      const raw = p.values[i] ?? 0;
      if (!Number.isSafeInteger(raw)) throw new RangeError(`usage value ${raw} is not a safe integer`);
      const q = opts.quanta?.[i] ?? 1;
      // rounding error carries to the next point, so a chunk's total is off by less than q/2
      const v = Math.round((raw + (err[i] ?? 0)) / q);
      err[i] = raw + (err[i] ?? 0) - v * q;
      pushVarint(out, zig(v - (prev[i] ?? 0)));
      prev[i] = v;
    }
    prevT = p.t;
  }
  return Uint8Array.from(out);
}

/** Decodes what `encodePoints` wrote with the same `step`, `width` and `quanta`. */
export function decodePoints(
  bytes: Uint8Array,
  opts: { step: number; width: number; quanta?: readonly number[] },
): UsagePoint[] {
  let at = 0;
  const read = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[at++];
      if (b === undefined) throw new RangeError('truncated usage chunk');
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
  };
  const count = read();
  if (count === 0) return [];
  let t = unzig(read()) - opts.step;
  const prev = new Array<number>(opts.width).fill(0);
  const out: UsagePoint[] = [];
  for (let n = 0; n < count; n++) {
    t += (read() + 1) * opts.step;
    const values = prev.map((p, i) => (prev[i] = p + unzig(read())));
    out.push({
      t,
      values: opts.quanta === undefined ? values : values.map((v, i) => v * (opts.quanta?.[i] ?? 1)),
    });
  }
  return out;
}
