import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatClusterStatus, leaseLive } from './cluster-status.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const lease = (name: string, holder: string, renewedAgoMs: number, transitions = 0) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name, namespace: 'kube-system' },
  spec: {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    renewTime: new Date(NOW - renewedAgoMs).toISOString(),
    leaseTransitions: transitions,
  },
});

test('a lease is live within its duration of the last renewal, and never without a holder', () => {
  assert.equal(leaseLive(lease('x', 'a', 14_999), NOW), true);
  assert.equal(leaseLive(lease('x', 'a', 15_000), NOW), false);
  assert.equal(leaseLive(lease('x', '', 0), NOW), false);
});

test('the report names live and gone servers, each lease holder, members, and agents with their heartbeats, pods and taints', () => {
  const text = formatClusterStatus({
    leases: [
      lease('stratus-server-a', 'a', 40_000),
      lease('stratus-server-b', 'b', 1_000),
      lease('stratus-controller-manager', 'b_xyz', 1_000, 1),
    ],
    nodes: [
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'n1' },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [{ type: 'InternalIP', address: '10.0.0.2' }],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'n2' },
        spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] },
        status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
      },
    ],
    nodeLeases: [
      { ...lease('n1', 'n1', 2_000), metadata: { name: 'n1', namespace: 'kube-node-lease' } },
      { ...lease('n2', 'n2', 50_000), metadata: { name: 'n2', namespace: 'kube-node-lease' } },
    ],
    pods: [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { nodeName: 'n1' } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p2' }, spec: { nodeName: 'n1' } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'done' },
        spec: { nodeName: 'n1' },
        status: { phase: 'Succeeded' },
      },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending' }, spec: {} },
    ],
    members: [
      {
        name: 'a',
        id: '255',
        peerURLs: ['https://127.0.0.1:2380'],
        clientURLs: ['http://127.0.0.1:2379'],
        health: 'healthy',
        version: '3.4.30',
        leader: true,
      },
    ],
    nowMs: NOW,
  });
  assert.match(text, /^a\s+Gone\s+40s ago$/m);
  assert.match(text, /^b\s+Alive\s+1s ago$/m);
  assert.match(text, /^stratus-controller-manager\s+b_xyz\s+yes\s+1\s+1s ago$/m);
  assert.match(text, /^stratus-scheduler\s+<none>/m);
  assert.match(text, /^a\s+ff\s+healthy\s+yes\s+3\.4\.30\s+http:\/\/127\.0\.0\.1:2379\s+https:/m);
  assert.match(text, /^NODE\s+READY\s+ADDRESS\s+HEARTBEAT\s+PODS\s+TAINTS$/m);
  assert.match(text, /^n1\s+True\s+10\.0\.0\.2\s+2s ago\s+2\s+<none>$/m);
  assert.match(text, /^n2\s+Unknown\s+<none>\s+50s ago\s+0\s+node\.kubernetes\.io\/unreachable:NoExecute$/m);
});
