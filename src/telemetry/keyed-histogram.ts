import type { Metric, Registry } from 'prom-client';

/** One label set's counts: per bucket (not cumulative), sum and count. */
interface Series {
  labels: Record<string, string>;
  buckets: number[];
  sum: number;
  count: number;
}

/** A value as prom-client's Registry renders it (`sharedLabels` after `labels`). */
interface RenderedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
}

/**
 * A Prometheus histogram whose series are found by a key the caller builds (a string it already
 * has the parts of), so an observation costs one Map lookup: prom-client's Histogram validates
 * and hashes the labels object on every observation, a few microseconds an API request. It
 * registers in a prom-client Registry and renders exactly as prom-client's Histogram does
 * (`_bucket` with `le` first, `+Inf`, `_sum`, `_count`).
 */
export class KeyedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** Counts `value` in the series `key`; `labels()` makes its labels when the key is new. */
  observe(key: string, labels: () => Record<string, string>, value: number): void {
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: labels(), buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    s.sum += value;
    s.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (value <= (b[i] as number)) {
        (s.buckets[i] as number)++;
        break;
      }
    }
  }

  /** What the Registry's text format renders: bucket labels apart from the series'. */
  getForPromString(): Promise<{
    name: string;
    help: string;
    type: string;
    values: RenderedValue[];
    aggregator: string;
  }> {
    const values: RenderedValue[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.buckets[i] ?? 0;
        values.push({
          labels: { le },
          sharedLabels: s.labels,
          value: acc,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_bucket` },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` },
      );
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    });
  }

  /** The values with every label on each (the Registry's JSON form). */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: RenderedValue[];
    aggregator: string;
  }> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ labels, sharedLabels, value, metricName }) => ({
      labels: { ...labels, ...sharedLabels },
      value,
      metricName,
    }));
    return data;
  }

  /** Forgets every series (the Registry's `resetMetrics`). */
  reset(): void {
    this.series.clear();
  }
}
