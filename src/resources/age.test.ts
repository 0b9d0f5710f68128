import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, humanDuration } from './age.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test('humanDuration follows Kubernetes thresholds', () => {
  const cases: Array<[number, string]> = [
    [-5 * s, '<invalid>'],
    [-1 * s, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 20 * s, '3m20s'],
    [15 * m, '15m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [5 * h + 30 * m, '5h30m'],
    [10 * h, '10h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [2 * d + 3 * h, '2d3h'],
    [30 * d, '30d'],
    [2 * 365 * d, '2y'],
    [2 * 365 * d + 30 * d, '2y30d'],
    [9 * 365 * d, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('age is <unknown> without a timestamp', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  assert.equal(age(undefined, now), '<unknown>');
  assert.equal(age('not a time', now), '<unknown>');
  assert.equal(age('2026-01-01T00:00:00Z', now), '10m');
});
