import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addQuantity,
  compareQuantity,
  formatQuantity,
  milliValue,
  parseExactQuantity,
  quantityOf,
  unitValue,
  ZERO_QUANTITY,
} from './exact-quantity.js';

const q = (text: string) => {
  const parsed = parseExactQuantity(text);
  assert.ok(parsed, text);
  return parsed;
};

test('quantities print in Kubernetes canonical form', () => {
  const cases: Array<[string, string]> = [
    ['500m', '500m'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['2', '2'],
    ['1000', '1k'],
    ['1100', '1100'],
    ['1500000', '1500k'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['100', '100'],
    ['512Ki', '512Ki'],
    ['1000Mi', '1000Mi'],
    ['1G', '1G'],
    ['1e3', '1e3'],
    ['100n', '100n'],
    ['0', '0'],
    ['0Gi', '0'],
    [' 3 ', '3'],
  ];
  for (const [text, canonical] of cases) assert.equal(formatQuantity(q(text)), canonical, text);
});

test('a binary quantity below 1Ki or with a fraction prints as decimal', () => {
  assert.equal(formatQuantity(q('0.5Ki')), '512');
  assert.equal(formatQuantity({ nanos: 1536_000_000_000n + 1n, format: 'BinarySI' }), '1536000000001n');
});

test('sums keep the format of their first non-zero term, as Quantity.Add', () => {
  assert.equal(formatQuantity(addQuantity(q('128Mi'), q('128Mi'))), '256Mi');
  assert.equal(formatQuantity(addQuantity(ZERO_QUANTITY, q('128Mi'))), '128Mi');
  assert.equal(formatQuantity(addQuantity(q('500m'), q('1'))), '1500m');
  assert.equal(formatQuantity(addQuantity(quantityOf(2), quantityOf(1))), '3');
});

test('comparisons, milli and unit values round up as Kubernetes does', () => {
  assert.equal(compareQuantity(q('1'), q('1000m')), 0);
  assert.equal(compareQuantity(q('1Gi'), q('1G')), 1);
  assert.equal(milliValue(q('1n')), 1n);
  assert.equal(milliValue(q('1.5')), 1500n);
  assert.equal(unitValue(q('1500m')), 2n);
  assert.equal(unitValue(q('1Ei')), 1152921504606846976n);
});

test('malformed quantities are refused', () => {
  for (const bad of ['', 'abc', '1Gb', '--1', '1 Gi', 'm', '1.2.3', '1e', 1 / 0, {}, undefined]) {
    assert.equal(parseExactQuantity(bad), undefined, JSON.stringify(bad));
  }
  assert.equal(formatQuantity(parseExactQuantity(-2) ?? ZERO_QUANTITY), '-2');
  assert.equal(formatQuantity(parseExactQuantity(0.25) ?? ZERO_QUANTITY), '250m');
});
