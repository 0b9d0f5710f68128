import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { eventually, startControllerTestCluster } from '../controllers/testing.js';
import { startSimulatedNodes } from './simulated-nodes.js';

test('simulated nodes register Ready with leases and run the pods bound to them', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const sim = await startSimulatedNodes({
    client,
    count: 3,
    capacity: { cpu: '4', memory: '8Gi', pods: '10' },
  });
  try {
    assert.deepEqual(sim.nodes, ['sim-node-0', 'sim-node-1', 'sim-node-2']);
    const node = await client.get('nodes', 'sim-node-1');
    const status = node.status as {
      allocatable: Record<string, string>;
      conditions: Array<{ type: string; status: string }>;
    };
    assert.equal(status.allocatable.cpu, '4');
    assert.equal(status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
    const lease = await client.get('leases', 'sim-node-1', { namespace: 'kube-node-lease' });
    assert.equal((lease.spec as { holderIdentity: string }).holderIdentity, 'sim-node-1');

    await client.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: { nodeName: 'sim-node-2', containers: [{ name: 'c', image: 'busybox' }] },
    });
    const running = await eventually('the pod Running', async () => {
      const pod = (await client.get('pods', 'p')) as Pod;
      return pod.status?.phase === 'Running' ? pod : undefined;
    });
    assert.ok(running.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    assert.equal(running.status?.containerStatuses?.[0]?.ready, true);
  } finally {
    await sim.close();
    await cluster.close();
  }
});
