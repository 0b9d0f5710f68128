import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricSpec } from 'kubernetes-types/autoscaling/v2.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { proposeReplicas } from './hpa-metrics.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function pod(name: string): Pod {
  return {
    metadata: { name },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu: '100m', memory: '100Mi' } } }] },
    status: {
      phase: 'Running',
      startTime: iso(NOW - 3_600_000),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(NOW - 3_500_000) }],
    },
  };
}
const usage = (name: string, cpu: string, memory: string) => ({
  metadata: { name },
  timestamp: iso(NOW - 1000),
  window: '15s',
  containers: [{ name: 'c', usage: { cpu, memory } }],
});
const cpu = (u: number): MetricSpec => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: u } },
});
const memory = (v: string): MetricSpec => ({
  type: 'Resource',
  resource: { name: 'memory', target: { type: 'AverageValue', averageValue: v } },
});

test('the largest proposal wins, named as upstream names it, with a status per metric', () => {
  const r = proposeReplicas({
    metrics: [cpu(50), memory('50Mi')],
    pods: [pod('a'), pod('b')],
    items: [usage('a', '100m', '20Mi'), usage('b', '100m', '20Mi')],
    current: 2,
    now: NOW,
  });
  assert.equal(r.replicas, 4);
  assert.equal(r.metric, 'cpu resource utilization (percentage of request)');
  assert.equal(r.error, undefined);
  assert.deepEqual(r.statuses[0], {
    type: 'Resource',
    resource: { name: 'cpu', current: { averageValue: '100m', averageUtilization: 100 } },
  });
  assert.equal(r.statuses[1]?.resource?.current.averageValue, String(20 * 1024 * 1024));
});

test('a failed metric blocks a scale-down the others propose, not a scale-up', () => {
  const pods = [pod('a'), pod('b')];
  const idle = [usage('a', '1m', '1Mi'), usage('b', '1m', '1Mi')];
  const notServed: MetricSpec = {
    type: 'Pods',
    pods: { metric: { name: 'qps' }, target: { type: 'AverageValue' } },
  };
  const down = proposeReplicas({ metrics: [cpu(50), notServed], pods, items: idle, current: 2, now: NOW });
  assert.match(down.error ?? '', /metric type Pods is not supported/);
  const busy = [usage('a', '200m', '1Mi'), usage('b', '200m', '1Mi')];
  const up = proposeReplicas({ metrics: [cpu(50), notServed], pods, items: busy, current: 2, now: NOW });
  assert.equal(up.error, undefined);
  assert.equal(up.replicas, 8);
  const unreachable = proposeReplicas({
    metrics: [cpu(50)],
    pods,
    items: [],
    current: 2,
    now: NOW,
    fetchError: 'no answer',
  });
  assert.match(unreachable.error ?? '', /failed to get cpu utilization: no answer/);
});
