import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { startControllerManager } from './controller-manager.js';
import { eventually, startControllerTestCluster } from './testing.js';

function jobManifest(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      ...spec,
    },
  };
}

async function setPhase(client: KubeClient, name: string, phase: string): Promise<void> {
  await client.patch('pods', name, { status: { phase } }, { namespace: 'default', subresource: 'status' });
}

test('a Job of 5 completions with parallelism 2 completes, never running more than 2 pods', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const manager = await startControllerManager({ client, controllers: ['job'], syncTimeoutMs: 10_000 });
  try {
    await client.create('jobs', jobManifest('pi', { completions: 5, parallelism: 2 }));
    const selector = 'batch.kubernetes.io/job-name=pi';
    let finished = 0;
    for (let round = 0; round < 10 && finished < 5; round++) {
      const running = await eventually('active job pods', async () => {
        const pods = (await client.list('pods', { namespace: 'default', labelSelector: selector }))
          .items as Pod[];
        const active = pods.filter((p) => p.status?.phase !== 'Succeeded');
        assert.ok(active.length <= 2, `at most 2 active pods, saw ${active.length}`);
        return active.length > 0 ? active : undefined;
      });
      const pod = running?.[0];
      assert.ok(pod);
      assert.equal(pod.metadata?.ownerReferences?.[0]?.kind, 'Job');
      assert.match(pod.metadata?.name ?? '', /^pi-[a-z0-9]{5}$/);
      await setPhase(client, pod.metadata?.name ?? '', 'Succeeded');
      finished++;
    }
    const job = await eventually('the Job to complete', async () => {
      const j = (await client.get('jobs', 'pi')) as Job;
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    assert.equal(job?.status?.succeeded, 5);
    assert.ok(job?.status?.completionTime);
    const pods = (await client.list('pods', { namespace: 'default', labelSelector: selector })).items;
    assert.equal(pods.length, 5);
    await eventually('SuccessfulCreate and Completed events', async () => {
      const reasons = (
        (await client.list('events', { namespace: 'default' })).items as Array<{ reason?: string }>
      ).map((e) => e.reason);
      return reasons.includes('SuccessfulCreate') && reasons.includes('Completed');
    });
  } finally {
    await manager.close();
    await cluster.close();
  }
});

test('a Job fails with BackoffLimitExceeded and a finished Job is deleted after its TTL', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const manager = await startControllerManager({ client, controllers: ['job'], syncTimeoutMs: 10_000 });
  try {
    await client.create('jobs', jobManifest('flaky', { backoffLimit: 1, ttlSecondsAfterFinished: 0 }));
    for (let i = 0; i < 2; i++) {
      const pod = await eventually('an active pod', async () => {
        const pods = (await client.list('pods', { namespace: 'default', labelSelector: 'job-name=flaky' }))
          .items as Pod[];
        return pods.find((p) => p.status?.phase !== 'Failed');
      });
      assert.ok(pod);
      await setPhase(client, pod.metadata?.name ?? '', 'Failed');
    }
    await eventually('BackoffLimitExceeded event', async () => {
      const events = (await client.list('events', { namespace: 'default' })).items as Array<{
        reason?: string;
      }>;
      return events.some((e) => e.reason === 'BackoffLimitExceeded');
    });
    // ttlSecondsAfterFinished: 0 deletes the Job (and its pods, by background propagation).
    await eventually('the Job to be deleted', async () => {
      const jobs = (await client.list('jobs', { namespace: 'default' })).items;
      return jobs.length === 0;
    });
  } finally {
    await manager.close();
    await cluster.close();
  }
});
