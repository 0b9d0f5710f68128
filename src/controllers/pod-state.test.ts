import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { compareForDeletion, isPodActive, isPodAvailable, isPodReady } from './pod-state.js';

function pod(
  name: string,
  opts: { node?: string; phase?: string; ready?: string; created?: string } = {},
): Pod {
  return {
    metadata: { name, creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z' },
    spec: { containers: [], ...(opts.node ? { nodeName: opts.node } : {}) },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: opts.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: opts.ready }] : [],
    },
  };
}

test('readiness and availability honor minReadySeconds', () => {
  const p = pod('a', { ready: '2026-01-01T00:00:00Z' });
  assert.equal(isPodReady(p), true);
  assert.equal(isPodAvailable(p, 10, Date.UTC(2026, 0, 1, 0, 0, 5)), false);
  assert.equal(isPodAvailable(p, 10, Date.UTC(2026, 0, 1, 0, 0, 10)), true);
  assert.equal(isPodReady(pod('b')), false);
});

test('finished and deleted pods are not active', () => {
  assert.equal(isPodActive(pod('a')), true);
  assert.equal(isPodActive(pod('b', { phase: 'Succeeded' })), false);
  const alive = pod('c');
  const deleting = { ...alive, metadata: { ...alive.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
  assert.equal(isPodActive(deleting), false);
});

test('scale-down removes unassigned, pending, unready and newer pods first', () => {
  const pods = [
    pod('ready-old', { node: 'n', ready: 'x', created: '2026-01-01T00:00:00Z' }),
    pod('ready-new', { node: 'n', ready: 'x', created: '2026-01-02T00:00:00Z' }),
    pod('unready', { node: 'n' }),
    pod('pending', { node: 'n', phase: 'Pending' }),
    pod('unassigned', { phase: 'Pending' }),
  ];
  assert.deepEqual(
    [...pods].sort(compareForDeletion).map((p) => p.metadata?.name),
    ['unassigned', 'pending', 'unready', 'ready-new', 'ready-old'],
  );
});
