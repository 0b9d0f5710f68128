import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatCpu, isQuantity, parseQuantity } from './quantity.js';

test('quantities parse to base units', () => {
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('2'), 2);
  assert.equal(parseQuantity(3), 3);
  assert.equal(parseQuantity('1Gi'), 2 ** 30);
  assert.equal(parseQuantity('128M'), 128e6);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('1.5Ki'), 1536);
});

test('malformed quantities are refused', () => {
  for (const bad of ['', 'abc', '1Gb', '--1', '1 Gi', 'm']) {
    assert.equal(parseQuantity(bad), undefined, bad);
    assert.equal(isQuantity(bad), false, bad);
  }
});

test('quantities format as Kubernetes prints them', () => {
  assert.equal(formatBytes(2 ** 30), '1Gi');
  assert.equal(formatBytes(1536 * 2 ** 20), '1536Mi');
  assert.equal(formatBytes(1000), '1000');
  assert.equal(formatCpu(0.25), '250m');
  assert.equal(formatCpu(2), '2');
});
