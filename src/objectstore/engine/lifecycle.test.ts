import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dueAt, expiryOf, filterMatches, keyActions, uploadAbortRule } from './lifecycle.js';

test('lifecycle days round up to the next midnight UTC, as in the S3 docs example', () => {
  // Created 2014-01-15 10:30 UTC with Days 3: expires 2014-01-19 00:00 UTC.
  assert.equal(
    new Date(dueAt(Date.parse('2014-01-15T10:30:00Z'), 3)).toISOString(),
    '2014-01-19T00:00:00.000Z',
  );
  assert.equal(dueAt(1500, 1, 1000), 3000);
  const rules = [
    { id: 'late', enabled: true, filter: {}, expiration: { days: 10 } },
    { id: 'soon', enabled: true, filter: { prefix: 'a' }, expiration: { days: 1 } },
    { id: 'off', enabled: false, filter: {}, expiration: { days: 0 } },
  ];
  assert.deepEqual(expiryOf(rules, { key: 'a1', size: 1, modifiedMs: 0 }, 1000), { at: 1000, rule: 'soon' });
  assert.deepEqual(expiryOf(rules, { key: 'b', size: 1, modifiedMs: 0 }, 1000), { at: 10_000, rule: 'late' });
});

test('lifecycle filters: tags all match, sizes are strict, delete markers match only tagless filters', () => {
  const f = { prefix: 'p/', tags: [{ key: 'a', value: '1' }], sizeGreaterThan: 5, sizeLessThan: 10 };
  assert.equal(filterMatches(f, { key: 'p/x', size: 6, tags: { a: '1', b: '2' } }), true);
  assert.equal(filterMatches(f, { key: 'p/x', size: 5, tags: { a: '1' } }), false);
  assert.equal(filterMatches(f, { key: 'p/x', size: 10, tags: { a: '1' } }), false);
  assert.equal(filterMatches(f, { key: 'p/x', size: 6, tags: { a: '2' } }), false);
  assert.equal(filterMatches(f, { key: 'q/x', size: 6, tags: { a: '1' } }), false);
  assert.equal(filterMatches({ sizeGreaterThan: 5 }, { key: 'k', size: 0, deleteMarker: true }), true);
  assert.equal(
    filterMatches({ tags: [{ key: 'a', value: '1' }] }, { key: 'k', size: 0, deleteMarker: true }),
    false,
  );
});

test('lifecycle decisions: nothing is asked twice once done, and uploads go by prefix and age', () => {
  const rules = [{ id: 'r', enabled: true, filter: {}, expiration: { days: 1 } }];
  const v = { key: 'k', vid: 'v1', vts: '1', modifiedMs: 0, size: 1 };
  assert.deepEqual(keyActions(rules, [v], { nowMs: 1000, dayMs: 1000 }), [
    { kind: 'expire-current', vid: 'v1', vts: '1', rule: 'r' },
  ]);
  const marker = { key: 'k', vid: 'm', vts: '2', modifiedMs: 1000, size: 0, deleteMarker: true };
  assert.deepEqual(keyActions(rules, [v, marker], { nowMs: 1000, dayMs: 1000 }), []);
  // A lone marker goes once it is as old as the rule's days.
  assert.deepEqual(keyActions(rules, [marker], { nowMs: 1999, dayMs: 1000 }), []);
  assert.equal(keyActions(rules, [marker], { nowMs: 2000, dayMs: 1000 })[0]?.kind, 'remove-marker');
  const abort = [
    {
      id: 'a',
      enabled: true,
      filter: { prefix: 'x/' },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 2 },
    },
  ];
  assert.equal(
    uploadAbortRule(abort, { key: 'x/1', initiatedMs: 500 }, { nowMs: 2999, dayMs: 1000 }),
    undefined,
  );
  assert.equal(uploadAbortRule(abort, { key: 'x/1', initiatedMs: 500 }, { nowMs: 3000, dayMs: 1000 }), 'a');
  assert.equal(
    uploadAbortRule(abort, { key: 'y/1', initiatedMs: 500 }, { nowMs: 9000, dayMs: 1000 }),
    undefined,
  );
});
