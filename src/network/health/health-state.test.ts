import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HealthState } from './health-state.js';

describe('health state', () => {
  it('goes down after fall failures in a row and up after rise passes in a row', () => {
    const h = new HealthState(2, 3);
    assert.equal(h.up, true);
    assert.equal(h.record(false), false);
    assert.equal(h.record(false), false);
    assert.equal(h.record(true), false, 'a pass resets the failure streak');
    h.record(false);
    h.record(false);
    assert.equal(h.record(false), true);
    assert.equal(h.up, false);
    assert.equal(h.record(true), false);
    assert.equal(h.record(true), true);
    assert.equal(h.up, true);
  });
});
