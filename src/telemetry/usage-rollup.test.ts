import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePoints, encodePoints, type UsagePoint } from './usage-codec.js';
import { resample, rollup, totals } from './usage-rollup.js';

describe('usage rollup', () => {
  it('sums points into coarser intervals, keeping totals', () => {
    const pts: UsagePoint[] = Array.from({ length: 40 }, (_, i) => ({
      t: i * 15,
      values: [15, i * 7, 1000 + i],
    }));
    const five = rollup(pts, 300);
    assert.deepEqual(
      five.map((p) => p.t),
      [0, 300],
    );
    assert.deepEqual(totals(five, 3), totals(pts, 3));
    assert.deepEqual(totals(rollup(five, 3600), 3), totals(pts, 3));
  });

  it('encodes and decodes with gaps, negatives and large values', () => {
    const pts: UsagePoint[] = [
      { t: 1_700_000_100, values: [15, 2 ** 50, 0] },
      { t: 1_700_000_115, values: [15, 3, 5] },
      { t: 1_700_000_400, values: [0, 2 ** 52, 1] },
    ];
    const bytes = encodePoints(pts, { step: 15, width: 3 });
    assert.deepEqual(decodePoints(bytes, { step: 15, width: 3 }), pts);
    assert.deepEqual(decodePoints(encodePoints([], { step: 15, width: 3 }), { step: 15, width: 3 }), []);
    assert.throws(() => encodePoints([pts[1]!, pts[0]!], { step: 15, width: 3 }), RangeError);
  });

  it('resamples mixed resolutions onto one axis', () => {
    const out = resample(
      [
        { t: 0, step: 300, value: 30 },
        { t: 600, step: 3600, value: 120 },
      ],
      { from: 0, to: 1200, step: 300 },
    );
    assert.deepEqual(out, [30, 0, 10, 10]);
  });
});
