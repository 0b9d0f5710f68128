import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { startSimulatedNodes } from '../agent/simulated-nodes.js';
import type { KubeObject } from '../common/kube-object.js';
import { startControllerManager } from '../controllers/index.js';
import { allowPrivilegedPods, eventually, startControllerTestCluster } from '../controllers/testing.js';

const bigPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'big', namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '3', memory: '1Gi' } } }] },
};

test('a pod that fits nowhere stays Pending with the reason, then lands when a node with room joins', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const small = await startSimulatedNodes({
    client,
    count: 2,
    capacity: { cpu: '2', memory: '4Gi', pods: '10' },
  });
  const manager = await startControllerManager({ client, controllers: ['scheduler'] });
  let big: Awaited<ReturnType<typeof startSimulatedNodes>> | undefined;
  try {
    await client.create('pods', bigPod);
    const message = '0/2 nodes are available: 2 Insufficient cpu.';
    const failed = await eventually('a FailedScheduling event', async () => {
      const events = (await client.list('events', { fieldSelector: 'involvedObject.name=big' }))
        .items as unknown as Event[];
      return events.find((e) => e.reason === 'FailedScheduling');
    });
    assert.equal(failed.message, message);
    assert.equal(failed.type, 'Warning');
    assert.equal(failed.source?.component, 'default-scheduler');
    const pending = (await client.get('pods', 'big')) as Pod;
    assert.equal(pending.spec?.nodeName, undefined);
    const cond = pending.status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'Unschedulable');
    assert.equal(cond?.message, message);

    big = await startSimulatedNodes({
      client,
      count: 1,
      namePrefix: 'big-',
      capacity: { cpu: '8', memory: '16Gi', pods: '10' },
    });
    const bound = await eventually('the pod bound to the new node', async () => {
      const pod = (await client.get('pods', 'big')) as Pod;
      return pod.spec?.nodeName ? pod : undefined;
    });
    assert.equal(bound.spec?.nodeName, 'big-0');
    const scheduled = await eventually('a Scheduled event', async () => {
      const events = (await client.list('events', { fieldSelector: 'involvedObject.name=big' }))
        .items as unknown as Event[];
      return events.find((e) => e.reason === 'Scheduled');
    });
    assert.equal(scheduled.message, 'Successfully assigned default/big to big-0');
  } finally {
    await manager.close();
    await big?.close();
    await small.close();
    await cluster.close();
  }
});

test('bin-packing fills one node before the next; pods with a host port spread', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  await allowPrivilegedPods(client);
  const sim = await startSimulatedNodes({
    client,
    count: 3,
    capacity: { cpu: '4', memory: '8Gi', pods: '20' },
  });
  const manager = await startControllerManager({ client, controllers: ['scheduler'] });
  try {
    const pod = (name: string, hostPort?: number): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: 'p' } },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'x',
            resources: { requests: { cpu: '1' } },
            ...(hostPort ? { ports: [{ containerPort: 80, hostPort }] } : {}),
          },
        ],
      },
    });
    for (let i = 0; i < 3; i++) await client.create('pods', pod(`pack-${i}`));
    for (let i = 0; i < 3; i++) await client.create('pods', pod(`port-${i}`, 8080));
    const nodes = await eventually('6 pods bound', async () => {
      const pods = (await client.list('pods')).items as Pod[];
      return pods.every((p) => p.spec?.nodeName) && pods.length === 6 ? pods : undefined;
    });
    const on = (prefix: string): Set<string> =>
      new Set(nodes.filter((p) => p.metadata?.name?.startsWith(prefix)).map((p) => p.spec?.nodeName ?? ''));
    assert.equal(on('pack-').size, 1, 'bin-packing puts the three 1-cpu pods on one 4-cpu node');
    assert.equal(on('port-').size, 3, 'one host port 8080 per node');
  } finally {
    await manager.close();
    await sim.close();
    await cluster.close();
  }
});
