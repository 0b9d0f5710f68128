import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { cronJobName, mostRecentSchedule, planCronJob } from './cron-schedule.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 30);
const MIN = 60_000;

function cron(spec: Partial<NonNullable<CronJob['spec']>>, status: CronJob['status'] = {}): CronJob {
  return {
    metadata: { name: 'c', namespace: 'default', uid: 'u1', creationTimestamp: new Date(T0).toISOString() },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: { metadata: { labels: { app: 'x' } }, spec: { template: {} } },
      ...spec,
    },
    status,
  };
}

function finishedJob(name: string, type: 'Complete' | 'Failed', at: number): Job {
  return {
    metadata: { name, creationTimestamp: new Date(at).toISOString() },
    status: {
      conditions: [{ type, status: 'True' }],
      ...(type === 'Complete' ? { completionTime: new Date(at + 1000).toISOString() } : {}),
    },
  };
}

test('planCronJob does nothing before the first schedule and requeues at it', () => {
  const plan = planCronJob(cron({}), { jobs: [], now: T0 + MIN });
  assert.equal(plan.create, undefined);
  assert.equal(plan.requeueAt, Date.UTC(2026, 0, 1, 0, 5));
});

test('planCronJob creates the Job named after the scheduled minute, with labels and annotation', () => {
  const at = Date.UTC(2026, 0, 1, 0, 5);
  const plan = planCronJob(cron({}), { jobs: [], now: at + 1000 });
  assert.equal(plan.create?.metadata?.name, cronJobName('c', at));
  assert.equal(plan.create?.metadata?.name, `c-${at / MIN}`);
  assert.equal(plan.create?.metadata?.labels?.['app'], 'x');
  assert.equal(
    plan.create?.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'],
    new Date(at).toISOString(),
  );
  assert.equal(plan.create?.metadata?.ownerReferences?.[0]?.uid, 'u1');
  assert.equal(plan.status.lastScheduleTime, '2026-01-01T00:05:00Z');
  assert.equal(plan.requeueAt, Date.UTC(2026, 0, 1, 0, 10));
  assert.equal(plan.events[0]?.reason, 'SuccessfulCreate');
});

test('planCronJob runs only the most recent of several missed schedules, and respects startingDeadlineSeconds', () => {
  const now = Date.UTC(2026, 0, 1, 0, 22);
  const plan = planCronJob(cron({}), { jobs: [], now });
  assert.equal(plan.create?.metadata?.name, cronJobName('c', Date.UTC(2026, 0, 1, 0, 20)));
  const late = planCronJob(cron({ startingDeadlineSeconds: 60 }), {
    jobs: [],
    now: Date.UTC(2026, 0, 1, 0, 7),
  });
  assert.equal(late.create, undefined);
  const many = mostRecentSchedule(cron({ schedule: '* * * * *' }), T0 + 200 * MIN);
  assert.ok(many.missed > 100);
  assert.equal(many.mostRecent, Date.UTC(2026, 0, 1, 3, 20));
  const tooMany = planCronJob(cron({ schedule: '* * * * *' }), { jobs: [], now: T0 + 200 * MIN });
  assert.ok(tooMany.events.some((e) => e.reason === 'TooManyMissedTimes'));
});

test('planCronJob reads the schedule in spec.timeZone', () => {
  // 09:00 in Tokyo is 00:00 UTC.
  const cj = cron({ schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' });
  assert.equal(planCronJob(cj, { jobs: [], now: T0 }).requeueAt, Date.UTC(2026, 0, 2, 0, 0));
});

test('planCronJob applies concurrencyPolicy Forbid and Replace', () => {
  const running: Job = { metadata: { name: 'c-old' }, status: { active: 1 } };
  const at = Date.UTC(2026, 0, 1, 0, 5) + 1000;
  const forbid = planCronJob(cron({ concurrencyPolicy: 'Forbid' }), { jobs: [running], now: at });
  assert.equal(forbid.create, undefined);
  assert.deepEqual(
    forbid.status.active?.map((r) => r.name),
    ['c-old'],
  );
  const replace = planCronJob(cron({ concurrencyPolicy: 'Replace' }), { jobs: [running], now: at });
  assert.ok(replace.create);
  assert.deepEqual(replace.delete, ['c-old']);
  const allow = planCronJob(cron({}), { jobs: [running], now: at });
  assert.ok(allow.create);
  assert.deepEqual(allow.delete, []);
});

test('planCronJob sees completed Jobs, records lastSuccessfulTime and prunes history', () => {
  const jobs = [0, 1, 2, 3].map((i) => finishedJob(`c-${i}`, 'Complete', T0 + i * MIN));
  jobs.push(finishedJob('c-f1', 'Failed', T0), finishedJob('c-f2', 'Failed', T0 + MIN));
  const cj = cron(
    { successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 },
    {
      active: [{ name: 'c-3' }],
      lastScheduleTime: new Date(T0 + 3 * MIN).toISOString(),
    },
  );
  const plan = planCronJob(cj, { jobs, now: T0 + 4 * MIN });
  assert.deepEqual(plan.delete.sort(), ['c-0', 'c-f1']);
  assert.ok(plan.events.some((e) => e.reason === 'SawCompletedJob' && e.message.includes('c-3')));
  assert.equal(
    plan.status.lastSuccessfulTime,
    new Date(T0 + 3 * MIN + 1000).toISOString().replace('.000', ''),
  );
  assert.deepEqual(plan.status.active, []);
});
