import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AffinityTable, affinityTableLength } from './affinity-table.js';

describe('affinity table', () => {
  it('returns a pin until it expires', () => {
    const t = new AffinityTable(new Int32Array(affinityTableLength(16)));
    const now = Date.UTC(2026, 0, 1);
    t.set('l 10.0.0.1', 42, now + 5000);
    assert.equal(t.get('l 10.0.0.1', now), 42);
    assert.equal(t.get('l 10.0.0.2', now), undefined);
    assert.equal(t.get('l 10.0.0.1', now + 6000), undefined);
  });

  it('replaces the soonest-expiring pin when a window is full, and never grows', () => {
    const cells = new Int32Array(affinityTableLength(8));
    const t = new AffinityTable(cells);
    const now = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 100; i++) t.set(`l 10.0.${i}.1`, i + 1, now + 1000 * (i + 1));
    assert.equal(t.get('l 10.0.99.1', now), 100);
    assert.equal(cells.length, 24);
  });
});
