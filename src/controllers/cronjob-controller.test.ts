import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { ManualClock } from '../common/clock.js';
import { startControllerManager } from './controller-manager.js';
import { eventually, startControllerTestCluster } from './testing.js';

test('a CronJob fires on schedule as the clock moves, and sees its Job complete', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const clock = new ManualClock(Date.now());
  const manager = await startControllerManager({
    client,
    clock,
    controllers: ['cronjob'],
    syncTimeoutMs: 10_000,
  });
  try {
    await client.create('cronjobs', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick', namespace: 'default' },
      spec: {
        schedule: '*/5 * * * *',
        timeZone: 'Europe/Paris',
        concurrencyPolicy: 'Forbid',
        jobTemplate: {
          metadata: { labels: { app: 'tick' } },
          spec: {
            template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
          },
        },
      },
    });
    // Nothing runs before the schedule comes.
    await eventually('the CronJob to be seen', async () => {
      const events = (await client.list('events', { namespace: 'default' })).items;
      const cj = (await client.get('cronjobs', 'tick')) as CronJob;
      return cj.metadata?.uid && events.length === 0;
    });
    assert.equal((await client.list('jobs', { namespace: 'default' })).items.length, 0);
    const scheduled = Math.ceil((clock.now() + 1) / 300_000) * 300_000;
    clock.set(scheduled + 2_000);
    const job = (await eventually(
      'the scheduled Job',
      async () => (await client.list('jobs', { namespace: 'default' })).items[0],
    )) as Job;
    assert.equal(job.metadata?.name, `tick-${scheduled / 60_000}`);
    assert.equal(job.metadata?.labels?.['app'], 'tick');
    assert.equal(
      job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'],
      new Date(scheduled).toISOString(),
    );
    await eventually('status.active and lastScheduleTime', async () => {
      const cj = (await client.get('cronjobs', 'tick')) as CronJob;
      return cj.status?.active?.[0]?.name === job.metadata?.name && cj.status?.lastScheduleTime !== undefined;
    });
    // Forbid: the next schedule passes while the Job still runs, so no second Job.
    clock.set(scheduled + 300_000 + 2_000);
    await eventually('JobAlreadyActive event', async () => {
      const events = (await client.list('events', { namespace: 'default' })).items as Array<{
        reason?: string;
      }>;
      return events.some((e) => e.reason === 'JobAlreadyActive');
    });
    assert.equal((await client.list('jobs', { namespace: 'default' })).items.length, 1);
    const done = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    await client.patch(
      'jobs',
      job.metadata?.name ?? '',
      {
        status: { conditions: [{ type: 'Complete', status: 'True' }], completionTime: done, startTime: done },
      },
      { subresource: 'status' },
    );
    // With the first Job done, the schedule Forbid held back runs (once, as a catch-up).
    const next = `tick-${(scheduled + 300_000) / 60_000}`;
    await eventually('lastSuccessfulTime and the held-back run', async () => {
      const c = (await client.get('cronjobs', 'tick')) as CronJob;
      return (
        c.status?.lastSuccessfulTime !== undefined &&
        c.status.lastScheduleTime === new Date(scheduled + 300_000).toISOString().replace('.000', '') &&
        c.status.active?.length === 1 &&
        c.status.active[0]?.name === next
      );
    });
    await eventually('SawCompletedJob event', async () => {
      const events = (await client.list('events', { namespace: 'default' })).items as Array<{
        reason?: string;
      }>;
      return events.some((e) => e.reason === 'SawCompletedJob');
    });
  } finally {
    await manager.close();
    await cluster.close();
  }
});
