import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../common/clock.js';
import { CrashBackoff } from './backoff.js';

test('crash back-off doubles from 10 s and caps at 5 min', () => {
  const clock = new ManualClock();
  const b = new CrashBackoff(clock);
  const delays = [];
  for (let i = 0; i < 8; i++) {
    const started = clock.now();
    clock.advance(1000);
    delays.push(b.recordExit('pod/main', started) / 1000);
    clock.advance(b.remainingMs('pod/main'));
  }
  assert.deepEqual(delays, [10, 20, 40, 80, 160, 300, 300, 300]);
});

test('crash back-off holds the container until its delay passed', () => {
  const clock = new ManualClock();
  const b = new CrashBackoff(clock);
  assert.equal(b.inBackoff('k'), false);
  b.recordExit('k', clock.now());
  assert.equal(b.inBackoff('k'), true);
  clock.advance(9_999);
  assert.equal(b.remainingMs('k'), 1);
  clock.advance(1);
  assert.equal(b.inBackoff('k'), false);
  assert.equal(b.currentDelayMs('k'), 10_000);
});

test('crash back-off starts over after 10 minutes of running, and forgets keys', () => {
  const clock = new ManualClock();
  const b = new CrashBackoff(clock);
  b.recordExit('k', clock.now());
  b.recordExit('k', clock.now());
  assert.equal(b.currentDelayMs('k'), 20_000);
  const started = clock.now();
  clock.advance(600_000);
  assert.equal(b.recordExit('k', started), 10_000);
  b.forget('k');
  assert.equal(b.currentDelayMs('k'), 0);
  assert.equal(b.recordExit('other', clock.now()), 10_000);
});
