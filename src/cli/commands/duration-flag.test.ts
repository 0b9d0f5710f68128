import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationFlag, parseGoDuration } from './duration-flag.js';
import { UsageError } from '../errors.js';

test('parseGoDuration reads the durations kube-controller-manager flags take', () => {
  assert.equal(parseGoDuration('40s'), 40_000);
  assert.equal(parseGoDuration('5m0s'), 300_000);
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('500ms'), 500);
  assert.equal(parseGoDuration('1.5h'), 5_400_000);
  assert.equal(parseGoDuration('0'), 0);
  for (const bad of ['', '40', 's', '5m0', '1d', '-1s', '1s '])
    assert.equal(parseGoDuration(bad), undefined, bad);
});

test('durationFlag refuses a bad value with the flag and the value in the message', () => {
  assert.equal(durationFlag({}, 'pod-eviction-timeout', { command: 'server' }), undefined);
  assert.equal(
    durationFlag({ 'pod-eviction-timeout': '2s' }, 'pod-eviction-timeout', { command: 'server' }),
    2000,
  );
  assert.throws(
    () =>
      durationFlag({ 'node-monitor-grace-period': '40' }, 'node-monitor-grace-period', { command: 'server' }),
    (err: unknown) =>
      err instanceof UsageError && /--node-monitor-grace-period .* not "40"/.test(err.message),
  );
  assert.throws(
    () => durationFlag({ x: '0s' }, 'x', { command: 'server' }),
    (err: unknown) => err instanceof UsageError,
  );
});
