import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  limitByRate,
  newScalingHistory,
  normalizeWithBehavior,
  recordScale,
  type NormalizeInput,
  type ScalingRules,
} from './hpa-behavior.js';

const T0 = 1_000_000_000;
const UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Pods', value: 4, periodSeconds: 15 },
  ],
};
const DOWN: ScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

function input(current: number, desired: number, over: Partial<NormalizeInput> = {}): NormalizeInput {
  return {
    currentReplicas: current,
    desiredReplicas: desired,
    minReplicas: 1,
    maxReplicas: 100,
    scaleUp: UP,
    scaleDown: DOWN,
    ...over,
  };
}

const condition = (cs: { type: string; status: string; reason: string }[], type: string) => {
  const c = cs.find((x) => x.type === type);
  return c && `${c.status} ${c.reason}`;
};

test('default scale-up: the larger of +100 % and +4 pods per 15 s, counted from the period start', () => {
  const h = newScalingHistory(1, T0);
  const r = normalizeWithBehavior(input(1, 10), h, T0);
  assert.equal(r.replicas, 5);
  assert.equal(condition(r.conditions, 'ScalingLimited'), 'True ScaleUpLimit');
  assert.equal(condition(r.conditions, 'AbleToScale'), 'True ReadyForNewScale');
  recordScale(h, { scaleUp: UP, scaleDown: DOWN }, 1, 5, T0);
  // Within the period the 1 → 5 already used the budget (start 1: max(2, 5)).
  assert.equal(normalizeWithBehavior(input(5, 10), h, T0 + 5_000).replicas, 5);
  // Once it passed, from 5: max(10, 9).
  const later = normalizeWithBehavior(input(5, 20), h, T0 + 16_000);
  assert.equal(later.replicas, 10);
});

test('scale-down waits for the stabilization window (highest recommendation in it)', () => {
  const h = newScalingHistory(5, T0);
  const r = normalizeWithBehavior(input(5, 2), h, T0 + 10_000);
  assert.equal(r.replicas, 5);
  assert.equal(condition(r.conditions, 'AbleToScale'), 'True ScaleDownStabilized');
  assert.equal(normalizeWithBehavior(input(5, 2), h, T0 + 200_000).replicas, 5);
  const after = normalizeWithBehavior(input(5, 2), h, T0 + 301_000);
  assert.equal(after.replicas, 2);
  assert.equal(condition(after.conditions, 'ScalingLimited'), 'False DesiredWithinRange');
});

test('a scale-up stabilization window applies the lowest recent recommendation', () => {
  const up = { ...UP, stabilizationWindowSeconds: 60 };
  const h = newScalingHistory(2, T0);
  const r = normalizeWithBehavior(input(2, 6, { scaleUp: up }), h, T0 + 1_000);
  assert.equal(r.replicas, 2);
  assert.equal(condition(r.conditions, 'AbleToScale'), 'True ScaleUpStabilized');
  assert.equal(normalizeWithBehavior(input(2, 6, { scaleUp: up }), h, T0 + 62_000).replicas, 6);
});

test('policies: Percent rounds down on scale-down, Min picks the smaller change, Disabled blocks', () => {
  const h = newScalingHistory(10, T0);
  const tenPercent: ScalingRules = {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }],
  };
  const r = limitByRate(input(10, 1, { scaleDown: tenPercent }), h, T0);
  assert.deepEqual([r.replicas, r.reason], [9, 'ScaleDownLimit']);
  const min: ScalingRules = { ...UP, selectPolicy: 'Min' };
  assert.equal(limitByRate(input(10, 100, { scaleUp: min }), h, T0).replicas, 14);
  assert.equal(
    limitByRate(input(10, 100, { scaleUp: { ...UP, selectPolicy: 'Disabled' } }), h, T0).replicas,
    10,
  );
  assert.equal(
    limitByRate(input(10, 1, { scaleDown: { ...DOWN, selectPolicy: 'Disabled' } }), h, T0).replicas,
    10,
  );
});

test('min and max replicas bound the result with upstream reasons', () => {
  const h = newScalingHistory(3, T0);
  const max = limitByRate(input(3, 10, { maxReplicas: 4 }), h, T0);
  assert.deepEqual([max.replicas, max.reason], [4, 'TooManyReplicas']);
  const min = limitByRate(input(3, 0, { minReplicas: 1 }), h, T0);
  assert.deepEqual([min.replicas, min.reason], [1, 'TooFewReplicas']);
});
