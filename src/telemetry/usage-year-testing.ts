/**
 * A synthetic year of usage for tests and the benchmark: pods with a daily cycle and noise, fed
 * into a `UsageDb` a day at a time with compaction after each day, as the meter would over a year.
 * Seeded, so every run is the same. Test support: product code does not use it.
 */
import { SeededRandom } from './seeded-random.js';
import type { UsagePoint } from './usage-codec.js';
import type { UsageDb } from './usage-db.js';

/** A point's values for pod `k` at second `t`: 15 s of a daily cycle around `k`-dependent levels. */
function podPoint(rnd: SeededRandom, k: number, t: number): number[] {
  const phase = Math.sin((2 * Math.PI * (t % 86_400)) / 86_400 + k);
  const milli = Math.max(0, Math.round(200 + 20 * k + 120 * phase + rnd.normal(0, 30)));
  const kib = Math.round(102_400 + 5_000 * phase + rnd.normal(0, 500));
  return [15, milli * 15, kib * 15];
}

/**
 * Feeds `days` days of 15 s samples for `pods` pods starting at `start` (seconds) and compacts at
 * the end of every day; returns the input's totals per pod (seconds, cpu-ms, KiB-seconds).
 */
export function feedSyntheticYear(
  db: UsageDb,
  opts: { pods: number; days: number; start: number; seed?: number },
): number[][] {
  const rnd = new SeededRandom(opts.seed ?? 1);
  const ids = Array.from({ length: opts.pods }, (_, k) =>
    db.series({
      uid: `uid-${k}`,
      kind: 'pod',
      namespace: k % 2 === 0 ? 'a' : 'b',
      name: `web-${k}`,
      owner: `Deployment/web-${k % 3}`,
      labels: { app: `web-${k % 3}` },
      cpuRequestMilli: 250,
      memRequestBytes: 128 << 20,
    }),
  );
  const sums = ids.map(() => [0, 0, 0]);
  for (let d = 0; d < opts.days; d++) {
    const day = opts.start + d * 86_400;
    const records = ids.map((series, k) => {
      const points: UsagePoint[] = [];
      for (let t = day; t < day + 86_400; t += 15) {
        const values = podPoint(rnd, k, t);
        const s = sums[k] ?? [];
        values.forEach((v, i) => (s[i] = (s[i] ?? 0) + v));
        points.push({ t, values });
      }
      return { series, points };
    });
    db.append(records);
    db.compact(day + 86_400);
  }
  return sums;
}
