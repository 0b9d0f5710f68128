import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ReplicaCalculationError,
  resourceReplicas,
  type HpaPod,
  type HpaPodMetric,
  type ResourceTarget,
} from './hpa-replica-calculator.js';

const NOW = 1_000_000_000;
const HOUR = 3_600_000;

/** A running pod started an hour ago, ready since then, requesting `request` milli-units. */
function pod(name: string, over: Partial<HpaPod> = {}): HpaPod {
  return {
    name,
    phase: 'Running',
    deleting: false,
    startTime: NOW - HOUR,
    ready: { status: true, lastTransitionTime: NOW - HOUR + 10_000 },
    request: 1000,
    ...over,
  };
}

function metrics(values: Record<string, number>, timestamp = NOW): Map<string, HpaPodMetric> {
  return new Map(Object.entries(values).map(([k, v]) => [k, { value: v, timestamp, windowMs: 30_000 }]));
}

const cpu = (utilization: number): ResourceTarget => ({ resource: 'cpu', utilization });

function calc(pods: HpaPod[], m: Map<string, HpaPodMetric>, target: ResourceTarget, current = pods.length) {
  return resourceReplicas({ currentReplicas: current, pods, metrics: m, target, now: NOW });
}

test('scale up: ceil(current × utilization / target)', () => {
  const r = calc([pod('a'), pod('b'), pod('c')], metrics({ a: 300, b: 500, c: 700 }), cpu(30));
  assert.deepEqual(r, { replicas: 5, utilization: 50, averageValue: 500 });
});

test('scale down', () => {
  const pods = ['a', 'b', 'c', 'd', 'e'].map((n) => pod(n));
  const r = calc(pods, metrics({ a: 100, b: 300, c: 500, d: 250, e: 250 }), cpu(50));
  assert.equal(r.replicas, 3);
  assert.equal(r.utilization, 28);
});

test('within the 10 % tolerance nothing changes', () => {
  const pods = [pod('a'), pod('b'), pod('c')];
  assert.equal(calc(pods, metrics({ a: 1080, b: 1080, c: 1080 }), cpu(100)).replicas, 3);
  assert.equal(calc(pods, metrics({ a: 1120, b: 1120, c: 1120 }), cpu(100)).replicas, 4);
  assert.equal(
    resourceReplicas(
      {
        currentReplicas: 3,
        pods,
        metrics: metrics({ a: 1080, b: 1080, c: 1080 }),
        target: cpu(100),
        now: NOW,
      },
      { tolerance: 0.05 },
    ).replicas,
    4,
  );
});

test('an unready pod counts as 0 % on a scale-up (upstream ScaleUpUnreadyLessScale)', () => {
  const pods = [pod('a', { ready: { status: false, lastTransitionTime: NOW - HOUR } }), pod('b'), pod('c')];
  const r = calc(pods, metrics({ a: 300, b: 500, c: 700 }), cpu(30));
  assert.deepEqual(r, { replicas: 4, utilization: 60, averageValue: 600 });
});

test('a pod in its cpu initialization period without a full window since readiness is unready', () => {
  const fresh = pod('a', {
    startTime: NOW - 20_000,
    ready: { status: true, lastTransitionTime: NOW - 10_000 },
  });
  const r = calc([fresh, pod('b')], metrics({ a: 2000, b: 500 }), cpu(50));
  // Only b counts at first (50 % = target); a counted as 0 makes the ratio < 1: no change.
  assert.equal(r.replicas, 2);
  assert.equal(r.utilization, 50);
  // Memory has no initialization rule: both count.
  const mem = calc([fresh, pod('b')], metrics({ a: 2000, b: 500 }), { resource: 'memory', utilization: 50 });
  assert.equal(mem.replicas, 5);
});

test('pods missing metrics: 100 % of request on a scale-down, 0 on a scale-up', () => {
  const four = ['a', 'b', 'c', 'd'].map((n) => pod(n));
  const down = calc(four, metrics({ a: 100, b: 100, c: 100 }), cpu(50));
  assert.deepEqual(down, { replicas: 3, utilization: 10, averageValue: 100 });
  const three = ['a', 'b', 'c'].map((n) => pod(n));
  const up = calc(three, metrics({ a: 900, b: 900 }), cpu(50));
  assert.equal(up.replicas, 4);
  // At the target with a pod missing, nothing changes (upstream MissingMetricsNoChangeEq).
  assert.equal(calc([pod('a'), pod('b')], metrics({ a: 1000 }), cpu(100)).replicas, 2);
});

test('a missing pod that would flip the direction keeps the current count', () => {
  // Ready pods are at 120 % of a 100 % target; the missing one at 0 brings it to 60 %.
  assert.equal(calc([pod('a'), pod('b')], metrics({ a: 1200 }), cpu(100)).replicas, 2);
});

test('pending, failed and deleting pods are ignored', () => {
  const pods = [
    pod('a'),
    pod('p', { phase: 'Pending' }),
    pod('f', { phase: 'Failed' }),
    pod('d', { deleting: true }),
  ];
  const r = calc(pods, metrics({ a: 1000, f: 5000, d: 5000 }), cpu(50), 1);
  assert.equal(r.replicas, 2);
  assert.equal(r.utilization, 100);
});

test('AverageValue targets compare the average usage per pod', () => {
  const mi = 1024 * 1024 * 1000;
  const pods = [pod('a', { request: undefined }), pod('b', { request: undefined })];
  const r = calc(pods, metrics({ a: 300 * mi, b: 500 * mi }), { resource: 'memory', averageValue: 200 * mi });
  assert.deepEqual(r, { replicas: 4, averageValue: 400 * mi });
  // Missing on scale-down counts as the target value.
  const three = [pod('a'), pod('b'), pod('c')];
  const down = calc(three, metrics({ a: 10 * mi, b: 10 * mi }), {
    resource: 'memory',
    averageValue: 200 * mi,
  });
  assert.equal(down.replicas, 2);
});

test('errors as upstream: no pods, no metrics, missing requests', () => {
  assert.throws(() => calc([], metrics({}), cpu(50), 1), /no pods returned by selector/);
  assert.throws(() => calc([pod('a')], metrics({}), cpu(50)), /did not receive metrics/);
  assert.throws(
    () => calc([pod('a', { request: undefined })], metrics({ a: 1 }), cpu(50)),
    (e: unknown) => e instanceof ReplicaCalculationError && /missing request for cpu/.test(e.message),
  );
});
