import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { startSimulatedNodes } from '../agent/simulated-nodes.js';
import { startControllerManager } from './controller-manager.js';
import { NodeLifecycleController } from './node-lifecycle-controller.js';
import { UNREACHABLE_TAINT } from './node-health.js';
import { eventually, startControllerTestCluster } from './testing.js';

test('a node that stops heartbeating goes NotReady, is tainted, and its pods are recreated elsewhere', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const healthy = await startSimulatedNodes({ client, count: 2, namePrefix: 'ok-', heartbeatMs: 200 });
  const doomed = await startSimulatedNodes({ client, count: 1, namePrefix: 'lost-', heartbeatMs: 200 });
  let doomedClosed = false;
  const manager = await startControllerManager({
    client,
    controllers: ['replicaset', 'scheduler', 'nodelifecycle'],
    scheduler: { strategy: 'spread' },
    extra: {
      nodelifecycle: (ctx) =>
        new NodeLifecycleController(ctx, { nodeMonitorGracePeriodMs: 2_000, podEvictionTimeoutMs: 1_000 }),
    },
    syncTimeoutMs: 10_000,
  });
  const pods = async (): Promise<Pod[]> =>
    (await client.list('pods', { namespace: 'default', labelSelector: 'app=web' })).items as Pod[];
  try {
    await client.create('replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'web' }] },
        },
      },
    });
    const onLost = await eventually('3 running pods, one on the doomed node', async () => {
      const ps = await pods();
      const running = ps.filter((p) => p.status?.phase === 'Running');
      return running.length === 3 && running.some((p) => p.spec?.nodeName === 'lost-0')
        ? running.filter((p) => p.spec?.nodeName === 'lost-0').map((p) => p.metadata?.name)
        : undefined;
    });
    assert.ok(onLost && onLost.length > 0);
    await doomed.close();
    doomedClosed = true;
    const node = await eventually(
      'the node to become Unknown and tainted',
      async () => {
        const n = (await client.get('nodes', 'lost-0')) as Node;
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
        const taints = (n.spec?.taints ?? []).filter((t) => t.key === UNREACHABLE_TAINT).map((t) => t.effect);
        return ready?.status === 'Unknown' && taints.includes('NoExecute') && taints.includes('NoSchedule')
          ? n
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(node?.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'NodeStatusUnknown');
    // The healthy nodes stay Ready.
    const ok = (await client.get('nodes', 'ok-0')) as Node;
    assert.equal(ok.spec?.taints, undefined);
    await eventually(
      'the evicted pods to be replaced on the healthy nodes',
      async () => {
        const ps = await pods();
        return (
          ps.length === 3 &&
          ps.every((p) => p.spec?.nodeName?.startsWith('ok-') && p.status?.phase === 'Running') &&
          ps.every((p) => !onLost.includes(p.metadata?.name))
        );
      },
      { timeoutMs: 30_000 },
    );
    await eventually('NodeNotReady and TaintManagerEviction events', async () => {
      const all = (await client.list('events', { allNamespaces: true })).items as Array<{ reason?: string }>;
      return (
        all.some((e) => e.reason === 'NodeNotReady') && all.some((e) => e.reason === 'TaintManagerEviction')
      );
    });
    // The agent comes back: its Lease renews, the taints go and it reports Ready again.
    const back = await startSimulatedNodes({ client, count: 1, namePrefix: 'lost-', heartbeatMs: 200 });
    try {
      await eventually('the taints to be removed', async () => {
        const n = (await client.get('nodes', 'lost-0')) as Node;
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'True' && (n.spec?.taints ?? []).length === 0;
      });
    } finally {
      await back.close();
    }
  } finally {
    await manager.close();
    if (!doomedClosed) await doomed.close();
    await healthy.close();
    await cluster.close();
  }
});
