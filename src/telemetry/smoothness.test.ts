import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from './seeded-random.js';
import { demandStats, smoothness, utilityVerdict } from './smoothness.js';

const LEN = 8_640; // 30 days at 5 min

function independent(n: number, seed: number): { name: string; values: number[] }[] {
  const rnd = new SeededRandom(seed);
  return Array.from({ length: n }, (_, k) => ({
    name: `w${k}`,
    values: Array.from({ length: LEN }, () => rnd.normal(10, 3)),
  }));
}

describe('smoothness', () => {
  it('16 independent workloads with equal Cv pool to Cv/4 (within 10 %)', () => {
    const series = independent(16, 42);
    const r = smoothness(series);
    const cv = r.workloads.reduce((s, w) => s + w.stats.cv, 0) / 16;
    assert.ok(Math.abs(cv - 0.3) < 0.01, `single Cv ${cv}`);
    assert.ok(Math.abs(r.pooled.cv - cv / 4) / (cv / 4) < 0.1, `pooled ${r.pooled.cv} vs ${cv / 4}`);
    assert.ok(Math.abs(r.sqrtNPrediction - cv / 4) < 1e-9);
    assert.ok(Math.abs(r.independentCv - r.pooled.cv) / r.pooled.cv < 0.1);
    assert.ok(r.consolidationSaving > 0.3, `saving ${r.consolidationSaving}`);
    assert.ok(r.pooledPeak < r.sumOfPeaks);
  });

  it('X and 1−X pool to a Cv near 0 and are named as smoothing each other', () => {
    const rnd = new SeededRandom(7);
    const x = Array.from({ length: LEN }, () => rnd.next());
    const r = smoothness([
      { name: 'x', values: x },
      { name: 'not-x', values: x.map((v) => 1 - v) },
    ]);
    assert.ok(r.workloads[0] !== undefined && r.workloads[0].stats.cv > 0.5);
    assert.ok(r.pooled.cv < 1e-9, `pooled Cv ${r.pooled.cv}`);
    assert.equal(r.smoothing[0]?.a, 'x');
    assert.ok((r.smoothing[0]?.r ?? 0) < -0.999);
    assert.deepEqual(r.together, []);
    assert.ok(Math.abs(r.consolidationSaving - (1 - 1 / r.sumOfPeaks)) < 0.01);
  });

  it('16 identical workloads keep the single Cv and move together', () => {
    const one = independent(1, 3)[0]?.values ?? [];
    const r = smoothness(Array.from({ length: 16 }, (_, k) => ({ name: `w${k}`, values: one })));
    const single = demandStats(one);
    assert.ok(Math.abs(r.pooled.cv - single.cv) < 1e-9);
    assert.ok(Math.abs(r.pooled.peakToAverage - single.peakToAverage) < 1e-9);
    assert.ok((r.together[0]?.r ?? 0) > 0.999);
    assert.ok(Math.abs(r.consolidationSaving) < 1e-9);
  });

  it('renting wins while the premium is below peak/average', () => {
    const s = demandStats([1, 1, 1, 5]);
    assert.equal(s.peakToAverage, 2.5);
    assert.equal(utilityVerdict(s, 1.5).cheaper, 'rent');
    assert.equal(utilityVerdict(s, 3).cheaper, 'own');
  });

  it('is deterministic for a seed', () => {
    assert.deepEqual(independent(2, 9), independent(2, 9));
  });
});
