import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../common/clock.js';
import { ProbeState } from './probe-state.js';

test('probe waits initialDelaySeconds, then runs every periodSeconds', () => {
  const clock = new ManualClock();
  const p = new ProbeState(clock, { initialDelaySeconds: 5, periodSeconds: 2 });
  assert.equal(p.due(), false);
  assert.equal(p.msUntilDue(), 5000);
  clock.advance(5000);
  assert.equal(p.due(), true);
  p.record(true);
  assert.equal(p.due(), false);
  clock.advance(2000);
  assert.equal(p.due(), true);
});

test('probe fails only after failureThreshold consecutive failures', () => {
  const clock = new ManualClock();
  const p = new ProbeState(clock, { failureThreshold: 3 });
  assert.equal(p.verdict, 'unknown');
  assert.equal(p.record(false, 'HTTP probe failed with statuscode: 500'), 'unknown');
  assert.equal(p.record(false), 'unknown');
  assert.equal(p.record(true), 'success');
  p.record(false);
  p.record(false);
  assert.equal(p.consecutiveFailures, 2);
  assert.equal(p.record(false, 'boom'), 'failure');
  assert.equal(p.message, 'boom');
});

test('readiness starts not ready and needs successThreshold successes', () => {
  const clock = new ManualClock();
  const p = new ProbeState(clock, { successThreshold: 2, failureThreshold: 1 }, { initial: 'failure' });
  assert.equal(p.verdict, 'failure');
  assert.equal(p.record(true), 'failure');
  assert.equal(p.record(true), 'success');
  assert.equal(p.record(false), 'failure');
  assert.equal(p.record(true), 'failure');
});

test('the initial delay counts from the container start', () => {
  const clock = new ManualClock();
  const started = clock.now();
  clock.advance(10_000);
  const p = new ProbeState(clock, { initialDelaySeconds: 15 }, { startedAtMs: started });
  assert.equal(p.msUntilDue(), 5000);
});

test('attempts follow a ticker anchored when the pod was seen, as the kubelet does', () => {
  const clock = new ManualClock();
  const seen = clock.now();
  clock.advance(300); // the container starts 300 ms after the agent saw the pod
  const p = new ProbeState(clock, { periodSeconds: 1 }, { startedAtMs: clock.now(), anchorMs: seen });
  assert.equal(p.due(), true);
  p.record(false);
  assert.equal(p.msUntilDue(), 700);
  clock.advance(750); // a late attempt does not shift the ticker
  p.record(true);
  assert.equal(p.msUntilDue(), 950);
});
