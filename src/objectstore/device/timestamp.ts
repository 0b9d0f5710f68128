import type { Clock } from '../../common/clock.js';

/**
 * Issues strictly increasing, fixed-width, sortable timestamps (`<15-digit ms>.<6-digit seq>`)
 * from a Clock: they name data files, order versions and decide last-writer-wins between
 * replicas. Two writes in the same millisecond still get distinct, ordered stamps.
 */
export class Timestamper {
  private lastMs = 0;
  private seq = 0;

  constructor(private readonly clock: Clock) {}

  /** The next timestamp. */
  next(): string {
    const ms = Math.max(this.clock.now(), this.lastMs);
    if (ms === this.lastMs) this.seq++;
    else this.seq = 0;
    this.lastMs = ms;
    if (this.seq > 999_999) {
      this.lastMs++;
      this.seq = 0;
    }
    return `${String(this.lastMs).padStart(15, '0')}.${String(this.seq).padStart(6, '0')}`;
  }
}

/** Milliseconds since the epoch of a timestamp. */
export function timestampMs(ts: string): number {
  return Number(ts.slice(0, 15));
}

/** A version id: the timestamp's digits (so ids sort by age) plus randomness against collisions. */
export function versionIdFor(ts: string, random: string): string {
  return `${ts.replace('.', '')}${random}`;
}
