import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startSimulatedNodes } from '../agent/simulated-nodes.js';
import type { KubeObject } from '../common/kube-object.js';
import { startControllerManager } from './controller-manager.js';
import { REVISION_HASH_LABEL } from './daemonset-plan.js';
import { eventually, startControllerTestCluster } from './testing.js';

const daemonSet = (image: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image }] } },
  },
});

test('a DaemonSet runs one pod on each of 3 nodes, a new node gets one, and an update rolls', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const first = await startSimulatedNodes({ client, count: 3, namePrefix: 'n-' });
  const manager = await startControllerManager({ client, controllers: ['daemonset'], syncTimeoutMs: 10_000 });
  let second: Awaited<ReturnType<typeof startSimulatedNodes>> | undefined;
  const podsByNode = async (): Promise<Map<string, Pod[]>> => {
    const pods = (await client.list('pods', { namespace: 'default', labelSelector: 'app=agent' }))
      .items as Pod[];
    const m = new Map<string, Pod[]>();
    for (const p of pods) m.set(p.spec?.nodeName ?? '', [...(m.get(p.spec?.nodeName ?? '') ?? []), p]);
    return m;
  };
  try {
    await client.create('daemonsets', daemonSet('v1'));
    const ready = async (n: number): Promise<DaemonSet | undefined> => {
      const ds = (await client.get('daemonsets', 'agent')) as DaemonSet;
      const s = ds.status;
      return s?.desiredNumberScheduled === n && s.numberReady === n && s.updatedNumberScheduled === n
        ? ds
        : undefined;
    };
    const ds = await eventually('3 ready daemon pods', () => ready(3));
    assert.equal(ds?.status?.observedGeneration, 1);
    const placed = await podsByNode();
    assert.deepEqual([...placed.keys()].sort(), ['n-0', 'n-1', 'n-2']);
    assert.ok([...placed.values()].every((ps) => ps.length === 1));

    second = await startSimulatedNodes({ client, count: 1, namePrefix: 'm-' });
    await eventually('a pod on the new node', () => ready(4));
    assert.equal((await podsByNode()).get('m-0')?.length, 1);

    // A new template rolls out node by node until every pod carries the new hash.
    const before = (await podsByNode()).get('n-0')?.[0]?.metadata?.labels?.[REVISION_HASH_LABEL];
    await client.patch('daemonsets', 'agent', {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'v2' }] } } },
    });
    await eventually('the rollout to finish', async () => {
      const d = await ready(4);
      if (d?.status?.observedGeneration !== 2) return false;
      const pods = [...(await podsByNode()).values()].flat();
      return pods.length === 4 && pods.every((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] !== before);
    });
  } finally {
    await manager.close();
    await second?.close();
    await first.close();
    await cluster.close();
  }
});
