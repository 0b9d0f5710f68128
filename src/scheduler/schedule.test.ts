import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { schedule } from './schedule.js';

function node(name: string, cpu: string, memory: string, extra: Partial<Node> = {}): Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.metadata?.labels } },
    spec: extra.spec ?? {},
    status: { allocatable: { cpu, memory, pods: '110' } },
  };
}

function pod(name: string, cpu: string, spec: Partial<NonNullable<Pod['spec']>> = {}, labels = {}): Pod {
  return {
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu, memory: '64Mi' } } }], ...spec },
  };
}

test('bin-packing fills the fuller node; spreading the emptier one', () => {
  const nodes = [node('a', '4', '8Gi'), node('b', '4', '8Gi')];
  const boundPods = [{ ...pod('x', '2'), spec: { ...pod('x', '2').spec!, nodeName: 'b' } }];
  assert.equal(schedule([pod('p', '1')], { nodes, boundPods })[0]?.node, 'b');
  assert.equal(schedule([pod('p', '1')], { nodes, boundPods }, { strategy: 'spread' })[0]?.node, 'a');
});

test('a batch accounts its own assignments', () => {
  const nodes = [node('a', '2', '8Gi'), node('b', '2', '8Gi')];
  const placements = schedule([pod('p1', '1500m'), pod('p2', '1500m')], { nodes, boundPods: [] });
  assert.deepEqual(
    placements.map((p) => p.node),
    ['a', 'b'],
  );
});

test('a pod that fits nowhere gets the reasons in kube-scheduler form', () => {
  const tainted = node('c', '8', '8Gi', {
    spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
  });
  const nodes = [node('a', '1', '8Gi'), node('b', '1', '8Gi'), tainted];
  const [p] = schedule([pod('big', '2')], { nodes, boundPods: [] });
  assert.equal(p?.node, undefined);
  assert.equal(
    p?.message,
    '0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: db}.',
  );
});

test('tolerations, node selectors, cordons and host ports filter nodes', () => {
  const nodes = [
    node('a', '4', '8Gi', { spec: { unschedulable: true } }),
    node('b', '4', '8Gi', { metadata: { labels: { disk: 'ssd' } } }),
    node('c', '4', '8Gi', { spec: { taints: [{ key: 'gpu', effect: 'NoSchedule' }] } }),
  ];
  const ssd = pod('s', '1', { nodeSelector: { disk: 'ssd' } });
  assert.equal(schedule([ssd], { nodes, boundPods: [] })[0]?.node, 'b');
  const gpu = pod('g', '1', {
    nodeSelector: { 'kubernetes.io/hostname': 'c' },
    tolerations: [{ key: 'gpu', operator: 'Exists' }],
  });
  assert.equal(schedule([gpu], { nodes, boundPods: [] })[0]?.node, 'c');
  const withPort = (name: string) =>
    pod(name, '100m', { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }] }] });
  const placed = schedule([withPort('h1'), withPort('h2'), withPort('h3')], { nodes, boundPods: [] });
  assert.equal(placed[0]?.node, 'b');
  assert.equal(placed[1]?.node, undefined);
  assert.match(placed[1]?.message ?? '', /1 node\(s\) didn't have free ports/);
  assert.match(placed[1]?.message ?? '', /1 node\(s\) were unschedulable/);
});

test('required node affinity and preferred affinity', () => {
  const nodes = [
    node('a', '4', '8Gi', { metadata: { labels: { zone: 'z1' } } }),
    node('b', '4', '8Gi', { metadata: { labels: { zone: 'z2' } } }),
  ];
  const required = pod('r', '1', {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] }],
        },
      },
    },
  });
  assert.equal(schedule([required], { nodes, boundPods: [] })[0]?.node, 'b');
  const preferred = pod('p', '1', {
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] } },
        ],
      },
    },
  });
  assert.equal(schedule([preferred], { nodes, boundPods: [] })[0]?.node, 'b');
});

test('pod anti-affinity by hostname keeps replicas apart', () => {
  const nodes = [node('a', '4', '8Gi'), node('b', '4', '8Gi')];
  const spec = {
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } },
        ],
      },
    },
  };
  const placed = schedule(
    [
      pod('w1', '100m', spec, { app: 'web' }),
      pod('w2', '100m', spec, { app: 'web' }),
      pod('w3', '100m', spec, { app: 'web' }),
    ],
    { nodes, boundPods: [] },
  );
  assert.deepEqual(
    placed.map((p) => p.node),
    ['a', 'b', undefined],
  );
  assert.equal(
    placed[2]?.message,
    "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.",
  );
});

test('too many pods and no nodes', () => {
  const full = node('a', '4', '8Gi');
  full.status!.allocatable!['pods'] = '1';
  const [p] = schedule([pod('p', '100m'), pod('q', '100m')], { nodes: [full], boundPods: [] }).slice(1);
  assert.equal(p?.message, '0/1 nodes are available: 1 Too many pods.');
  assert.equal(
    schedule([pod('p', '1')], { nodes: [], boundPods: [] })[0]?.message,
    'no nodes available to schedule pods',
  );
});
