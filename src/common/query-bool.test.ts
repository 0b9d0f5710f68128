import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryBool } from './query-bool.js';

test('booleans read as kube-apiserver reads them', () => {
  const q = (s: string): URLSearchParams => new URLSearchParams(s);
  for (const v of ['true', 'True', 'TRUE', '1', 't', 'yes', ''])
    assert.equal(queryBool(q(`watch=${v}`), 'watch'), true, v);
  for (const v of ['false', 'False', 'FALSE', 'fAlSe', '0'])
    assert.equal(queryBool(q(`watch=${v}`), 'watch'), false, v);
  assert.equal(queryBool(q(''), 'watch'), false);
  assert.equal(queryBool(q(''), 'watch', true), true);
  assert.equal(queryBool(q('watch=false&watch=true'), 'watch'), false, 'the first value counts');
});
