import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { desiredSubsets, truncateSubsets } from './endpoints-plan.js';
import { podAddress, podPort } from './endpoint-pods.js';

const svc = (spec: Service['spec'] = {}): Service => ({
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    selector: { app: 'web' },
    ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    ...spec,
  },
});

/** A running pod; `hostPort` makes it a `process` pod whose agent published that host port. */
function pod(
  name: string,
  o: { ready?: boolean; hostPort?: number; ip?: string; terminating?: boolean; port?: number } = {},
): Pod {
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: { app: 'web' },
      ...(o.hostPort !== undefined
        ? { annotations: { 'stratus.dev/host-ports': JSON.stringify({ 'c/http': o.hostPort }) } }
        : {}),
      ...(o.terminating ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {
      nodeName: 'n1',
      containers: [{ name: 'c', ports: [{ name: 'http', containerPort: o.port ?? 8080 }] }],
    },
    status: {
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: o.ip ?? '127.0.0.1',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

test('a process pod is its node address and the host port its agent gave the resolved container port', () => {
  const p = pod('a', { hostPort: 41234, ip: '10.0.0.9' });
  assert.equal(podAddress(p), '127.0.0.1');
  assert.equal(podPort(p, { port: 80, targetPort: 'http', protocol: 'TCP' }), 41234);
  assert.equal(podPort(p, { port: 80, targetPort: 8080, protocol: 'TCP' }), 41234);
  assert.equal(podPort(p, { port: 80, targetPort: 9000, protocol: 'TCP' }), 9000);
  assert.equal(podPort(p, { port: 80, targetPort: 'http', protocol: 'UDP' }), undefined);
  const plain = pod('b', { ip: '10.0.0.9' });
  assert.equal(podAddress(plain), '10.0.0.9');
  assert.equal(podPort(plain, { port: 80, targetPort: 'http', protocol: 'TCP' }), 8080);
});

test('ports that resolve differently per pod get a subset each; equal ones share one', () => {
  const subsets = desiredSubsets(svc(), [
    pod('a', { hostPort: 40001 }),
    pod('b', { hostPort: 40002 }),
    pod('c', { ip: '10.0.0.3' }),
    pod('d', { ip: '10.0.0.4' }),
  ]);
  const shape = subsets.map(
    (s) =>
      `${(s.addresses ?? []).map((a) => a.targetRef?.name).join(',')}:${(s.ports ?? []).map((p) => p.port).join(',')}`,
  );
  assert.deepEqual(shape.sort(), ['a:40001', 'b:40002', 'c,d:8080']);
  const shared = desiredSubsets(svc(), [pod('c', { ip: '10.0.0.3' }), pod('d', { ip: '10.0.0.4' })]);
  assert.equal(shared.length, 1);
  assert.deepEqual(
    shared[0]?.addresses?.map((a) => a.ip),
    ['10.0.0.3', '10.0.0.4'],
  );
  assert.deepEqual(shared[0]?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.equal(shared[0]?.addresses?.[0]?.nodeName, 'n1');
  assert.deepEqual(shared[0]?.addresses?.[0]?.targetRef, {
    kind: 'Pod',
    namespace: 'default',
    name: 'c',
    uid: 'uid-c',
  });
});

test('not-ready pods are notReadyAddresses; terminating pods leave unless publishNotReadyAddresses', () => {
  const pods = [
    pod('a', { ip: '10.0.0.1' }),
    pod('b', { ip: '10.0.0.2', ready: false }),
    pod('c', { ip: '10.0.0.3', terminating: true }),
  ];
  const [s] = desiredSubsets(svc(), pods);
  assert.deepEqual(
    s?.addresses?.map((a) => a.ip),
    ['10.0.0.1'],
  );
  assert.deepEqual(
    s?.notReadyAddresses?.map((a) => a.ip),
    ['10.0.0.2'],
  );
  const [all] = desiredSubsets(svc({ publishNotReadyAddresses: true }), pods);
  assert.deepEqual(
    all?.addresses?.map((a) => a.ip),
    ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
  );
  assert.equal(all?.notReadyAddresses, undefined);
  const headless = desiredSubsets(svc({ clusterIP: 'None', ports: [] }), pods);
  assert.equal(headless.length, 1);
  assert.deepEqual(
    headless[0]?.addresses?.map((a) => a.ip),
    ['10.0.0.1'],
  );
  assert.deepEqual(
    headless[0]?.notReadyAddresses?.map((a) => a.ip),
    ['10.0.0.2'],
  );
  assert.equal(headless[0]?.ports, undefined);
});

test('more than 1000 addresses are cut, not-ready ones first', () => {
  const pods = Array.from({ length: 1100 }, (_, i) =>
    pod(`p${i}`, { ip: `10.0.${i >> 8}.${i & 255}`, ready: i >= 150 }),
  );
  const subsets = desiredSubsets(svc(), pods);
  assert.equal(truncateSubsets(subsets), true);
  assert.equal(subsets[0]?.addresses?.length, 950);
  assert.equal(subsets[0]?.notReadyAddresses?.length, 50);
  assert.equal(truncateSubsets(desiredSubsets(svc(), pods.slice(0, 10))), false);
});
