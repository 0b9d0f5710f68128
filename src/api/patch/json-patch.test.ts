import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch } from './json-patch.js';
import { PatchError } from './errors.js';

function fails(fn: () => unknown, code: string, status: number): void {
  assert.throws(
    fn,
    (err: unknown) => err instanceof PatchError && err.code === code && err.status === status,
  );
}

test('RFC 6902 appendix A examples: add, remove, replace, move, copy', () => {
  assert.deepEqual(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }]), {
    foo: 'bar',
    baz: 'qux',
  });
  assert.deepEqual(applyJsonPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }]), {
    foo: ['bar', 'qux', 'baz'],
  });
  assert.deepEqual(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }]), {
    foo: 'bar',
  });
  assert.deepEqual(applyJsonPatch({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }]), {
    foo: ['bar', 'baz'],
  });
  assert.deepEqual(
    applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }]),
    {
      baz: 'boo',
      foo: 'bar',
    },
  );
  assert.deepEqual(
    applyJsonPatch({ foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [
      { op: 'move', from: '/foo/waldo', path: '/qux/thud' },
    ]),
    { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  );
  assert.deepEqual(
    applyJsonPatch({ foo: ['all', 'grass', 'cows', 'eat'] }, [
      { op: 'move', from: '/foo/1', path: '/foo/3' },
    ]),
    { foo: ['all', 'cows', 'eat', 'grass'] },
  );
  assert.deepEqual(applyJsonPatch({ a: { b: [1] } }, [{ op: 'copy', from: '/a', path: '/c' }]), {
    a: { b: [1] },
    c: { b: [1] },
  });
});

test('"-" appends, ~0 and ~1 unescape, "" is the whole document', () => {
  assert.deepEqual(applyJsonPatch({ foo: [1, 2] }, [{ op: 'add', path: '/foo/-', value: 3 }]), {
    foo: [1, 2, 3],
  });
  assert.deepEqual(
    applyJsonPatch({ metadata: { annotations: {} } }, [
      { op: 'add', path: '/metadata/annotations/example.com~1a~0b', value: 'x' },
    ]),
    { metadata: { annotations: { 'example.com/a~b': 'x' } } },
  );
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 });
});

test('test op: passes on equal values, fails with PATCH_TEST_FAILED 422', () => {
  const doc = { metadata: { resourceVersion: '7' }, spec: { list: [{ a: 1, b: 2 }] } };
  assert.deepEqual(
    applyJsonPatch(doc, [
      { op: 'test', path: '/metadata/resourceVersion', value: '7' },
      { op: 'test', path: '/spec/list', value: [{ b: 2, a: 1 }] },
      { op: 'replace', path: '/metadata/resourceVersion', value: '8' },
    ]),
    { metadata: { resourceVersion: '8' }, spec: { list: [{ a: 1, b: 2 }] } },
  );
  fails(
    () => applyJsonPatch(doc, [{ op: 'test', path: '/metadata/resourceVersion', value: '6' }]),
    'PATCH_TEST_FAILED',
    422,
  );
});

test('malformed patches are 400, paths that do not fit are 422', () => {
  fails(() => applyJsonPatch({}, { op: 'add' }), 'PATCH_INVALID', 400);
  fails(() => applyJsonPatch({}, [{ op: 'frobnicate', path: '/a' }]), 'PATCH_INVALID', 400);
  fails(() => applyJsonPatch({}, [{ op: 'add', path: '/a' }]), 'PATCH_INVALID', 400);
  fails(() => applyJsonPatch({}, [{ op: 'add', path: 'a', value: 1 }]), 'PATCH_INVALID', 400);
  fails(() => applyJsonPatch({}, [{ op: 'add', path: '/a~2', value: 1 }]), 'PATCH_INVALID', 400);
  fails(() => applyJsonPatch({}, [{ op: 'move', path: '/a' }]), 'PATCH_INVALID', 400);
  fails(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }]), 'PATCH_INVALID', 422);
  fails(() => applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }]), 'PATCH_INVALID', 422);
  fails(() => applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/5', value: 2 }]), 'PATCH_INVALID', 422);
  fails(() => applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/01', value: 2 }]), 'PATCH_INVALID', 422);
  fails(() => applyJsonPatch({ a: {} }, [{ op: 'add', path: '/x/y', value: 2 }]), 'PATCH_INVALID', 422);
  fails(
    () => applyJsonPatch({ a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]),
    'PATCH_INVALID',
    422,
  );
});

test('a failing patch leaves the input untouched and applies nothing', () => {
  const doc = { a: 1, list: [1, 2] };
  const before = structuredClone(doc);
  assert.throws(() =>
    applyJsonPatch(doc, [
      { op: 'add', path: '/b', value: 2 },
      { op: 'remove', path: '/list/0' },
      { op: 'remove', path: '/missing' },
    ]),
  );
  assert.deepEqual(doc, before);
  const value = { deep: true };
  const out = applyJsonPatch(doc, [{ op: 'add', path: '/v', value }]) as { v: { deep: boolean } };
  out.v.deep = false;
  assert.equal(value.deep, true);
  assert.deepEqual(doc, before);
});
