import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch, applyObjectMergePatch } from './merge-patch.js';
import { PatchError } from './errors.js';

test('RFC 7386 appendix A test cases', () => {
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, expected] of cases) {
    assert.deepEqual(applyMergePatch(target, patch), expected, JSON.stringify({ target, patch }));
  }
});

test('inputs are not mutated', () => {
  const target = { spec: { replicas: 1, selector: { app: 'web' } } };
  const patch = { spec: { replicas: 3, template: { x: 1 } } };
  const out = applyMergePatch(target, patch) as { spec: { template: { x: number } } };
  out.spec.template.x = 2;
  assert.deepEqual(target, { spec: { replicas: 1, selector: { app: 'web' } } });
  assert.equal(patch.spec.template.x, 1);
});

test('applyObjectMergePatch refuses a body that is not an object', () => {
  assert.deepEqual(applyObjectMergePatch({ spec: { replicas: 1 } }, { spec: { replicas: 4 } }), {
    spec: { replicas: 4 },
  });
  assert.throws(
    () => applyObjectMergePatch({}, [1]),
    (e: unknown) => e instanceof PatchError && e.code === 'PATCH_INVALID' && e.status === 400,
  );
});
