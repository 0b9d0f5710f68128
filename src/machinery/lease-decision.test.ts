import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideLease,
  leaseRecordFromSpec,
  leaseSpecFromRecord,
  observedTime,
  renewDeadlinePassed,
  type LeaseRecord,
} from './lease-decision.js';

const T0 = Date.UTC(2026, 0, 1);
const held = (holder: string, renewTimeMs = T0, transitions = 0): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTimeMs: T0,
  renewTimeMs,
  leaseTransitions: transitions,
});
const me = { identity: 'b', leaseDurationSeconds: 15 };

test('no Lease: create it held by me, no transitions yet', () => {
  assert.deepEqual(decideLease(undefined, { ...me, nowMs: T0 }), {
    action: 'create',
    record: held('b'),
  });
});

test("another's lease is respected until a lease duration after I saw it change", () => {
  const stored = held('a');
  const observed = { record: stored, observedAtMs: T0 + 1000 };
  assert.deepEqual(decideLease(stored, { ...me, nowMs: T0 + 15_999, observed }), {
    action: 'wait',
    holder: 'a',
    expiresAtMs: T0 + 16_000,
  });
  const taken = decideLease(stored, { ...me, nowMs: T0 + 16_000, observed });
  assert.deepEqual(taken, {
    action: 'update',
    record: { ...held('b', T0 + 16_000, 1), acquireTimeMs: T0 + 16_000 },
  });
});

test('expiry counts from when I observed the record, not from the holder’s renewTime (clock skew)', () => {
  // The holder's clock is an hour behind: its renewTime looks long expired, but I just saw it change.
  const stored = held('a', T0 - 3_600_000);
  const decision = decideLease(stored, { ...me, nowMs: T0 });
  assert.equal(decision.action, 'wait');
  // A renewal (a changed record) restarts the countdown.
  const old = { record: held('a', T0 - 3_600_000), observedAtMs: T0 };
  const renewed = held('a', T0 - 3_590_000);
  assert.equal(observedTime(renewed, old, T0 + 14_000), T0 + 14_000);
  assert.equal(observedTime(old.record, old, T0 + 14_000), T0);
});

test('my own lease is renewed: acquireTime and transitions kept', () => {
  const stored = held('b', T0 + 2000, 3);
  assert.deepEqual(decideLease(stored, { ...me, nowMs: T0 + 4000 }), {
    action: 'update',
    record: { ...held('b', T0 + 4000, 3) },
  });
});

test('a released lease (no holder) is taken at once and counts a transition', () => {
  const stored = { ...held('', T0, 2), leaseDurationSeconds: 1 };
  assert.deepEqual(decideLease(stored, { ...me, nowMs: T0 + 1 }), {
    action: 'update',
    record: { ...held('b', T0 + 1, 3), acquireTimeMs: T0 + 1 },
  });
});

test('the leader stops acting once it could not renew within the renew deadline', () => {
  assert.equal(renewDeadlinePassed(T0, T0 + 9_999, 10_000), false);
  assert.equal(renewDeadlinePassed(T0, T0 + 10_000, 10_000), true);
});

test('a record round-trips through a Lease spec with MicroTime timestamps', () => {
  const record = held('a', T0 + 1234, 7);
  const spec = leaseSpecFromRecord(record);
  assert.equal(spec['renewTime'], '2026-01-01T00:00:01.234000Z');
  assert.deepEqual(leaseRecordFromSpec(spec), record);
  assert.deepEqual(leaseRecordFromSpec(undefined), {
    holderIdentity: '',
    leaseDurationSeconds: 0,
    acquireTimeMs: 0,
    renewTimeMs: 0,
    leaseTransitions: 0,
  });
});
