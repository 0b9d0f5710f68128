import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NOT_READY_TAINT, UNREACHABLE_TAINT, planNodeHealth } from './node-health.js';

const T0 = Date.UTC(2026, 0, 1);
const OPTS = { gracePeriodMs: 40_000, podEvictionTimeoutMs: 300_000 };
const at = (ms: number): string => new Date(ms).toISOString();

function node(ready: string, taints: Node['spec'] = {}): Node {
  return {
    metadata: { name: 'n1', creationTimestamp: at(T0) },
    spec: taints,
    status: { conditions: [{ type: 'Ready', status: ready }] },
  };
}
const lease = (renewed: number): Lease => ({ metadata: { name: 'n1' }, spec: { renewTime: at(renewed) } });
const pod = (name: string, tolerations: NonNullable<Pod['spec']>['tolerations'] = []): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [], nodeName: 'n1', tolerations },
});

test('planNodeHealth leaves a node with a fresh Lease alone and requeues at its expiry', () => {
  const plan = planNodeHealth(node('True'), {
    lease: lease(T0),
    pods: [pod('a')],
    now: T0 + 10_000,
    ...OPTS,
  });
  assert.equal(plan.ready, 'True');
  assert.equal(plan.taints, undefined);
  assert.equal(plan.readyCondition, undefined);
  assert.deepEqual(plan.evict, []);
  assert.equal(plan.requeueAt, T0 + 40_000);
});

test('planNodeHealth marks a node Unknown and taints it unreachable when its Lease expires', () => {
  const plan = planNodeHealth(node('True'), {
    lease: lease(T0),
    pods: [pod('a')],
    now: T0 + 40_000,
    ...OPTS,
  });
  assert.equal(plan.ready, 'Unknown');
  assert.equal(plan.becameNotReady, true);
  assert.equal(plan.readyCondition?.reason, 'NodeStatusUnknown');
  assert.equal(plan.readyCondition?.message, 'Kubelet stopped posting node status.');
  assert.deepEqual(
    plan.taints?.map((t) => `${t.key}:${t.effect}`),
    [`${UNREACHABLE_TAINT}:NoSchedule`, `${UNREACHABLE_TAINT}:NoExecute`],
  );
  assert.deepEqual(plan.evict, []);
  assert.equal(plan.requeueAt, T0 + 340_000);
});

test('planNodeHealth evicts pods after the timeout unless they tolerate the taint', () => {
  const tainted = node('Unknown', {
    taints: [
      { key: UNREACHABLE_TAINT, effect: 'NoSchedule' },
      { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: at(T0 + 40_000) },
    ],
  });
  const pods = [
    pod('plain'),
    pod('forever', [{ key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute' }]),
    pod('short', [
      { key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 },
    ]),
  ];
  const early = planNodeHealth(tainted, { lease: lease(T0), pods, now: T0 + 50_000, ...OPTS });
  assert.equal(early.taints, undefined);
  assert.equal(early.becameNotReady, false);
  assert.deepEqual(early.evict, ['default/short']);
  const late = planNodeHealth(tainted, { lease: lease(T0), pods, now: T0 + 340_000, ...OPTS });
  assert.deepEqual(late.evict.sort(), ['default/plain', 'default/short']);
});

test('planNodeHealth counts a posted heartbeat as a sign of life', () => {
  const posted: Node = {
    metadata: { name: 'n1', creationTimestamp: at(T0) },
    status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: at(T0 + 30_000) }] },
  };
  assert.equal(
    planNodeHealth(posted, { lease: lease(T0), pods: [], now: T0 + 50_000, ...OPTS }).ready,
    'True',
  );
  assert.equal(
    planNodeHealth(posted, { lease: lease(T0), pods: [], now: T0 + 70_000, ...OPTS }).ready,
    'Unknown',
  );
});

test('planNodeHealth removes the taints when the Lease renews and taints not-ready nodes', () => {
  const tainted = node('Unknown', {
    taints: [
      { key: 'other', effect: 'NoSchedule' },
      { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: at(T0) },
    ],
  });
  const plan = planNodeHealth(tainted, { lease: lease(T0 + 100_000), pods: [], now: T0 + 101_000, ...OPTS });
  assert.equal(plan.ready, 'True');
  assert.deepEqual(plan.taints, [{ key: 'other', effect: 'NoSchedule' }]);
  const notReady = planNodeHealth(node('False'), { lease: lease(T0), pods: [], now: T0 + 1000, ...OPTS });
  assert.deepEqual(
    notReady.taints?.map((t) => t.key),
    [NOT_READY_TAINT, NOT_READY_TAINT],
  );
});

test('planNodeHealth marks the Ready pods of a node that is not ready, until they are evicted', () => {
  const withReady = (p: Pod, status: string): Pod => ({
    ...p,
    status: { conditions: [{ type: 'Ready', status }] },
  });
  const pods = [
    withReady(pod('ready'), 'True'),
    withReady(pod('unready'), 'False'),
    withReady(pod('stays', [{ key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute' }]), 'True'),
  ];
  const healthy = planNodeHealth(node('True'), { lease: lease(T0), pods, now: T0 + 1000, ...OPTS });
  assert.deepEqual(healthy.markNotReady, []);
  const lost = planNodeHealth(node('True'), { lease: lease(T0), pods, now: T0 + 40_000, ...OPTS });
  assert.deepEqual(lost.markNotReady, ['default/ready', 'default/stays']);
  const tainted = node('Unknown', {
    taints: [{ key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: at(T0 + 40_000) }],
  });
  const evicting = planNodeHealth(tainted, { lease: lease(T0), pods, now: T0 + 340_000, ...OPTS });
  assert.deepEqual(evicting.evict, ['default/ready', 'default/unready']);
  assert.deepEqual(evicting.markNotReady, ['default/stays']);
});

test('planNodeHealth leaves a registering node (no Ready condition yet) untainted until the grace period', () => {
  const fresh: Node = { metadata: { name: 'n1', creationTimestamp: at(T0) } };
  const early = planNodeHealth(fresh, { lease: undefined, pods: [pod('a')], now: T0 + 1000, ...OPTS });
  assert.equal(early.ready, 'True');
  assert.equal(early.taints, undefined);
  assert.equal(early.requeueAt, T0 + 40_000);
  const silent = planNodeHealth(fresh, { lease: undefined, pods: [], now: T0 + 40_000, ...OPTS });
  assert.equal(silent.ready, 'Unknown');
  assert.deepEqual(
    silent.taints?.map((t) => t.key),
    [UNREACHABLE_TAINT, UNREACHABLE_TAINT],
  );
});
