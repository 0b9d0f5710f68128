import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { startSimulatedNodes } from '../agent/simulated-nodes.js';
import { startControllerManager } from './controller-manager.js';
import { kubectlSkipReason, runKubectl } from './kubectl-harness.js';
import { eventually, startControllerTestCluster } from './testing.js';

const skip = kubectlSkipReason();

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: nginx:1
        resources: {requests: {cpu: 100m}}
`;

test(
  'kubectl apply, set image, rollout status/history/undo/pause/resume',
  { skip: skip ?? false },
  async () => {
    const cluster = await startControllerTestCluster();
    const { client } = cluster;
    const sim = await startSimulatedNodes({ client, count: 3 });
    const manager = await startControllerManager({
      client,
      controllers: ['deployment', 'replicaset', 'scheduler'],
    });
    const kubectl = async (...args: string[]): Promise<string> => {
      const run = await runKubectl(cluster.dataDir, cluster.server.kubeconfigPath, args);
      assert.equal(run.code, 0, `kubectl ${args.join(' ')}: ${run.stderr}`);
      return run.stdout;
    };
    const watchAbort = new AbortController();
    try {
      const file = join(cluster.dataDir, 'web.yaml');
      await writeFile(file, MANIFEST);
      await kubectl('apply', '-f', file);
      const images = async (): Promise<string[]> => {
        const pods = (await client.list('pods', { labelSelector: 'app=web' })).items as Pod[];
        return pods
          .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
          .map((p) => p.spec?.containers[0]?.image ?? '');
      };
      await eventually('3 running pods', async () => (await images()).length === 3);
      assert.match(
        await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s'),
        /successfully rolled out/,
      );

      // Follow availability through the rolling update: never below replicas - maxUnavailable = 2.
      const available = new Map<string, boolean>();
      const list = await client.list('pods', { labelSelector: 'app=web' });
      const isAvailable = (p: Pod): boolean =>
        !p.metadata?.deletionTimestamp &&
        (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      for (const p of list.items as Pod[]) available.set(p.metadata?.name ?? '', isAvailable(p));
      let minAvailable = Infinity;
      const watching = (async () => {
        for await (const ev of client.watch('pods', {
          labelSelector: 'app=web',
          resourceVersion: list.metadata.resourceVersion ?? '',
          signal: watchAbort.signal,
        })) {
          const pod = ev.object as Pod;
          if (ev.type === 'DELETED') available.delete(pod.metadata?.name ?? '');
          else if (ev.type !== 'BOOKMARK') available.set(pod.metadata?.name ?? '', isAvailable(pod));
          minAvailable = Math.min(minAvailable, [...available.values()].filter(Boolean).length);
        }
      })();

      await kubectl('set', 'image', 'deployment/web', 'c=nginx:2');
      assert.match(
        await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s'),
        /successfully rolled out/,
      );
      await eventually('all pods on nginx:2', async () => {
        const imgs = await images();
        return imgs.length === 3 && imgs.every((i) => i === 'nginx:2');
      });
      assert.ok(minAvailable >= 2, `available pods fell to ${minAvailable} during the rollout`);

      const history = await kubectl('rollout', 'history', 'deployment/web');
      assert.match(history, /^1\s/m);
      assert.match(history, /^2\s/m);
      const sets = (await client.list('replicasets', { labelSelector: 'app=web' })).items as ReplicaSet[];
      assert.equal(sets.length, 2);
      for (const rs of sets) {
        assert.match(rs.metadata?.name ?? '', /^web-[a-z0-9]+$/);
        assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
        assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
      }
      const first = sets.find((rs) => rs.spec?.template?.spec?.containers[0]?.image === 'nginx:1')!;

      await kubectl('rollout', 'undo', 'deployment/web');
      assert.match(
        await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s'),
        /successfully rolled out/,
      );
      await eventually('all pods back on nginx:1', async () => {
        const imgs = await images();
        return imgs.length === 3 && imgs.every((i) => i === 'nginx:1');
      });
      const reused = (await client.get('replicasets', first.metadata?.name ?? '')) as ReplicaSet;
      assert.equal(reused.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
      assert.equal(reused.spec?.replicas, 3);

      await kubectl('rollout', 'pause', 'deployment/web');
      await eventually('Progressing=DeploymentPaused', async () => {
        const d = (await client.get('deployments', 'web')) as Deployment;
        return d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'DeploymentPaused';
      });
      await kubectl('set', 'image', 'deployment/web', 'c=nginx:3');
      // Paused: the controller sees the new template (observedGeneration) but makes no ReplicaSet.
      await eventually('the paused change observed', async () => {
        const d = (await client.get('deployments', 'web')) as Deployment;
        return d.status?.observedGeneration === d.metadata?.generation;
      });
      const whilePaused = (await client.list('replicasets', { labelSelector: 'app=web' }))
        .items as ReplicaSet[];
      assert.ok(!whilePaused.some((rs) => rs.spec?.template?.spec?.containers[0]?.image === 'nginx:3'));
      await kubectl('rollout', 'resume', 'deployment/web');
      assert.match(
        await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s'),
        /successfully rolled out/,
      );

      const events = await kubectl('get', 'events', '--field-selector', 'reason=ScalingReplicaSet');
      assert.match(events, /Scaled up replica set web-[a-z0-9]+ to \d+ from \d+/);
      assert.match(events, /Scaled down replica set web-[a-z0-9]+ to \d+ from \d+/);
      watchAbort.abort();
      await watching;
    } finally {
      watchAbort.abort();
      await manager.close();
      await sim.close();
      await cluster.close();
    }
  },
);

test('Recreate takes every old pod away before a new one starts', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const sim = await startSimulatedNodes({ client, count: 2 });
  const manager = await startControllerManager({
    client,
    controllers: ['deployment', 'replicaset', 'scheduler'],
  });
  const abort = new AbortController();
  try {
    await client.create('deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'db', namespace: 'default' },
      spec: {
        replicas: 2,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: { containers: [{ name: 'c', image: 'pg:1' }] },
        },
      },
    });
    const live = async (): Promise<Pod[]> =>
      ((await client.list('pods', { labelSelector: 'app=db' })).items as Pod[]).filter(
        (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
      );
    await eventually('2 pods on pg:1', async () => (await live()).length === 2);
    const list = await client.list('pods', { labelSelector: 'app=db' });
    const images = new Map<string, string>();
    for (const p of list.items as Pod[])
      images.set(p.metadata?.name ?? '', p.spec?.containers[0]?.image ?? '');
    let overlap = false;
    const watching = (async () => {
      for await (const ev of client.watch('pods', {
        labelSelector: 'app=db',
        resourceVersion: list.metadata.resourceVersion ?? '',
        signal: abort.signal,
      })) {
        const pod = ev.object as Pod;
        if (ev.type === 'DELETED') images.delete(pod.metadata?.name ?? '');
        else images.set(pod.metadata?.name ?? '', pod.spec?.containers[0]?.image ?? '');
        const present = new Set(images.values());
        if (present.has('pg:1') && present.has('pg:2')) overlap = true;
      }
    })();
    await client.patch('deployments', 'db', {
      spec: { template: { spec: { containers: [{ name: 'c', image: 'pg:2' }] } } },
    });
    await eventually('2 pods on pg:2', async () => {
      const pods = await live();
      return pods.length === 2 && pods.every((p) => p.spec?.containers[0]?.image === 'pg:2');
    });
    assert.equal(overlap, false, 'old and new pods existed at the same time');
    const d = (await client.get('deployments', 'db')) as Deployment;
    assert.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
    abort.abort();
    await watching;
  } finally {
    abort.abort();
    await manager.close();
    await sim.close();
    await cluster.close();
  }
});
