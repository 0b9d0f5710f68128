/**
 * Requests and bytes per bucket since the meter last asked, counted from the S3 gateway's
 * per-request hook (the same one that feeds its Prometheus metrics). Pure: no I/O.
 */

/** What one bucket saw since the last `drain`. */
export interface BucketTraffic {
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * Counts S3 traffic per bucket between two metering rounds. Why a counter and not the Prometheus
 * metrics: those are labelled by operation only (a label per bucket would be unbounded there).
 */
export class S3UsageCounter {
  #byBucket = new Map<string, BucketTraffic>();

  /** The gateway hook: counts an answered request against its bucket (none: not billed). */
  readonly record = (r: { bucket?: string; bytesIn: number; bytesOut: number }): void => {
    if (r.bucket === undefined) return;
    const t = this.#byBucket.get(r.bucket) ?? { requests: 0, bytesIn: 0, bytesOut: 0 };
    t.requests += 1;
    t.bytesIn += r.bytesIn;
    t.bytesOut += r.bytesOut;
    this.#byBucket.set(r.bucket, t);
  };

  /** The counts since the last call, resetting them. */
  drain(): Map<string, BucketTraffic> {
    const out = this.#byBucket;
    this.#byBucket = new Map();
    return out;
  }
}
