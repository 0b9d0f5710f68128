import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { startSimulatedNodes } from '../agent/simulated-nodes.js';
import type { KubeObject } from '../common/kube-object.js';
import { startControllerManager } from './controller-manager.js';
import { eventually, startControllerTestCluster } from './testing.js';

const replicaSet = (replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m' } } }] },
    },
  },
});

test('ReplicaSet controller scales, self-heals, adopts orphans and reports status', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const sim = await startSimulatedNodes({ client, count: 2 });
  const manager = await startControllerManager({ client, controllers: ['replicaset', 'scheduler'] });
  const pods = async (): Promise<Pod[]> =>
    (await client.list('pods', { labelSelector: 'app=web' })).items as Pod[];
  const runningPods = async (n: number): Promise<Pod[] | undefined> => {
    const list = await pods();
    return list.length === n && list.every((p) => p.status?.phase === 'Running') ? list : undefined;
  };
  const rsStatus = async (): Promise<ReplicaSet['status']> =>
    ((await client.get('replicasets', 'web')) as ReplicaSet).status;
  try {
    const rs = await client.create('replicasets', replicaSet(3));
    const first = await eventually('3 running pods', () => runningPods(3));
    for (const pod of first) {
      assert.match(pod.metadata?.name ?? '', /^web-[a-z0-9]{5}$/);
      const ref = pod.metadata?.ownerReferences?.[0];
      assert.equal(ref?.uid, rs.metadata.uid);
      assert.equal(ref?.controller, true);
      assert.equal(ref?.blockOwnerDeletion, true);
      assert.ok(pod.spec?.nodeName?.startsWith('sim-node-'));
    }
    await eventually('status ready 3', async () => {
      const s = await rsStatus();
      return s?.readyReplicas === 3 && s.availableReplicas === 3 && s.fullyLabeledReplicas === 3;
    });

    // Self-heal: a deleted pod is replaced.
    const victim = first[0]!.metadata!.name!;
    await client.delete('pods', victim);
    const healed = await eventually('a replacement', async () => {
      const list = await runningPods(3);
      return list && !list.some((p) => p.metadata?.name === victim) ? list : undefined;
    });
    assert.equal(healed.length, 3);

    // Scale up and down.
    await client.patch('replicasets', 'web', { spec: { replicas: 5 } });
    await eventually('5 running pods', () => runningPods(5));
    await client.patch('replicasets', 'web', { spec: { replicas: 2 } });
    await eventually('2 pods', async () => (await pods()).length === 2);

    // An orphan that matches the selector is adopted (and, being surplus, one pod goes).
    await client.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
    await eventually('adoption and trim to 2', async () => {
      const list = await pods();
      return (
        list.length === 2 && list.every((p) => p.metadata?.ownerReferences?.[0]?.uid === rs.metadata.uid)
      );
    });

    // A pod whose labels stop matching is released.
    const kept = (await pods())[0]!.metadata!.name!;
    await client.patch('pods', kept, { metadata: { labels: { app: 'other' } } });
    await eventually('release', async () => {
      const p = (await client.get('pods', kept)) as Pod;
      return (p.metadata?.ownerReferences ?? []).length === 0;
    });
    await eventually('a replacement for the released pod', () => runningPods(2));

    const events = (await client.list('events')).items as Array<
      KubeObject & { reason?: string; source?: { component?: string } }
    >;
    const reasons = new Set(
      events.filter((e) => e.source?.component === 'replicaset-controller').map((e) => e.reason),
    );
    assert.ok(reasons.has('SuccessfulCreate'));
    assert.ok(reasons.has('SuccessfulDelete'));
    const status = await rsStatus();
    assert.equal(status?.observedGeneration, (await client.get('replicasets', 'web')).metadata.generation);
  } finally {
    await manager.close();
    await sim.close();
    await cluster.close();
  }
});
