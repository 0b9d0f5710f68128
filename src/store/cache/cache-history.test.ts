import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CacheEvent } from './cache-event.js';
import { CacheHistory } from './cache-history.js';
import { SortedKeys } from './sorted-keys.js';

const event = (revision: number): CacheEvent =>
  new CacheEvent(
    'ADDED',
    revision,
    { namespace: '', name: `o${revision}`, revision, json: '{}', labels: undefined, fields: [] },
    undefined,
  );

test('the history grows to its capacity, then pushes out the oldest; since() reads after a revision', () => {
  const h = new CacheHistory(100);
  for (let r = 1; r <= 250; r += 1) assert.equal(h.push(event(r))?.revision, r > 100 ? r - 100 : undefined);
  assert.equal(h.size, 100);
  assert.deepEqual(
    h.since(245).map((e) => e.revision),
    [246, 247, 248, 249, 250],
  );
  assert.equal(h.since(0).length, 100);
  assert.equal(h.since(0)[0]?.revision, 151);
  h.dropThrough(240);
  assert.deepEqual(
    h.since(0).map((e) => e.revision),
    [241, 242, 243, 244, 245, 246, 247, 248, 249, 250],
  );
  h.clear();
  assert.deepEqual(h.since(0), []);
});

test('sorted keys stay in order through adds, removals and re-adds between reads', () => {
  const keys = new SortedKeys<number>();
  for (const k of ['m', 'c', 'x', 'a']) keys.set(k, 1);
  assert.deepEqual(keys.sorted(), ['a', 'c', 'm', 'x']);
  keys.delete('c');
  keys.set('b', 2);
  keys.delete('x');
  keys.set('x', 3);
  keys.set('a', 4);
  assert.deepEqual(keys.sorted(), ['a', 'b', 'm', 'x']);
  assert.equal(keys.get('a'), 4);
  assert.equal(keys.size, 4);
});
