import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlotTable } from './slot-table.js';

describe('haproxy slot table', () => {
  it('keeps an endpoint in its slot, reuses freed slots last and grows only when full', () => {
    const t = new SlotTable(3);
    assert.equal(t.capacity, 8);
    assert.equal(t.assign(['a', 'b', 'c']), false);
    const b = t.slotOf('b');
    t.assign(['b', 'c', 'd']);
    assert.equal(t.slotOf('b'), b);
    assert.equal(t.slotOf('a'), undefined);
    assert.notEqual(t.slotOf('d'), 1, 'a freed slot was given again first');
    const ids = Array.from({ length: 9 }, (_, i) => `n${i}`);
    assert.equal(t.assign(ids), true);
    assert.equal(t.capacity, 32);
    assert.equal(new Set(ids.map((id) => t.slotOf(id))).size, 9);
  });
});
