import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../common/kube-object.js';
import { createRegistry } from './registry.js';

const registry = createRegistry();
const now = Date.parse('2026-01-01T12:00:00Z');
const created = '2026-01-01T11:55:00Z'; // 5m before now
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'default',
  creationTimestamp: created,
  ...extra,
});
const row = (o: KubeObject): unknown[] => registry.byKind(o.apiVersion ?? '', o.kind ?? '')!.cells(o, now);

test('pod rows: running, crash looping, completed, init, terminating', () => {
  const pod = (status: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta('web-1', extra),
    spec: {
      containers: [
        { name: 'a', image: 'x' },
        { name: 'b', image: 'y' },
      ],
      initContainers: [{ name: 'i', image: 'z' }],
      nodeName: 'node-1',
    },
    status,
  });
  const running = {
    phase: 'Running',
    podIP: '10.0.0.5',
    podIPs: [{ ip: '10.0.0.5' }],
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'True' },
    ],
    initContainerStatuses: [
      {
        name: 'i',
        ready: true,
        restartCount: 0,
        image: 'z',
        imageID: '',
        state: { terminated: { exitCode: 0, reason: 'Completed' } },
      },
    ],
    containerStatuses: [
      {
        name: 'a',
        ready: true,
        restartCount: 0,
        image: 'x',
        imageID: '',
        state: { running: { startedAt: created } },
      },
      {
        name: 'b',
        ready: true,
        restartCount: 2,
        image: 'y',
        imageID: '',
        state: { running: { startedAt: created } },
        lastState: { terminated: { exitCode: 1, finishedAt: '2026-01-01T11:58:00Z' } },
      },
    ],
  };
  assert.deepEqual(row(pod(running)), [
    'web-1',
    '2/2',
    'Running',
    '2 (2m ago)',
    '5m',
    '10.0.0.5',
    'node-1',
    '<none>',
    '<none>',
  ]);
  const crash = structuredClone(running);
  crash.containerStatuses[1] = {
    ...crash.containerStatuses[1]!,
    ready: false,
    state: { waiting: { reason: 'CrashLoopBackOff' } } as never,
  };
  assert.deepEqual(row(pod(crash)).slice(1, 3), ['1/2', 'CrashLoopBackOff']);
  const done = structuredClone(running);
  done.phase = 'Succeeded';
  for (const c of done.containerStatuses)
    Object.assign(c, { ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
  assert.deepEqual(row(pod(done)).slice(1, 3), ['0/2', 'Completed']);
  const failed = structuredClone(done);
  failed.containerStatuses[0]!.state = { terminated: { exitCode: 3 } } as never;
  assert.equal(row(pod(failed))[2], 'ExitCode:3');
  const init = {
    phase: 'Pending',
    initContainerStatuses: [
      { name: 'i', ready: false, restartCount: 0, image: 'z', imageID: '', state: { running: {} } },
    ],
  };
  assert.equal(row(pod(init))[2], 'Init:0/1');
  const initFail = {
    phase: 'Pending',
    initContainerStatuses: [
      {
        name: 'i',
        ready: false,
        restartCount: 3,
        image: 'z',
        imageID: '',
        state: { waiting: { reason: 'CrashLoopBackOff' } },
      },
    ],
  };
  assert.deepEqual(row(pod(initFail)).slice(2, 4), ['Init:CrashLoopBackOff', '3']);
  assert.equal(row(pod(running, { deletionTimestamp: created }))[2], 'Terminating');
  assert.equal(row(pod({ phase: 'Pending' }))[2], 'Pending');
  assert.equal(row(pod({ phase: 'Failed', reason: 'Evicted' }))[2], 'Evicted');
});

test('node and event rows', () => {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'node-1',
      creationTimestamp: created,
      labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' },
    },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [
        { type: 'InternalIP', address: '192.168.1.10' },
        { type: 'Hostname', address: 'node-1' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.30.0-stratus',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1.0',
        containerRuntimeVersion: 'process://0.1.0',
      },
    },
  };
  assert.deepEqual(row(node), [
    'node-1',
    'Ready,SchedulingDisabled',
    'control-plane,worker',
    '5m',
    'v1.30.0-stratus',
    '192.168.1.10',
    '<none>',
    'Debian GNU/Linux 12 (bookworm)',
    '6.1.0',
    'process://0.1.0',
  ]);
  assert.equal(
    row({ ...node, spec: {}, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } })[1],
    'NotReady',
  );
  assert.equal(row({ ...node, spec: {}, status: {} })[1], 'Unknown');
  const ev = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: meta('web-1.17a'),
    involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{web}' },
    reason: 'Pulled',
    type: 'Normal',
    message: 'Container image "nginx" already present on machine ',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2026-01-01T11:50:00Z',
    lastTimestamp: '2026-01-01T11:59:00Z',
    count: 4,
  };
  assert.deepEqual(row(ev), [
    '60s',
    'Normal',
    'Pulled',
    'pod/web-1',
    'spec.containers{web}',
    'kubelet, node-1',
    'Container image "nginx" already present on machine',
    '10m',
    4,
    'web-1.17a',
  ]);
});
