import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { jobFailureBackoffMs, jobTtlExpiry, planJob } from './job-status.js';

const NOW = Date.UTC(2026, 0, 1);

function job(spec: Partial<NonNullable<Job['spec']>>, status: Job['status'] = {}): Job {
  return { metadata: { name: 'j', namespace: 'default' }, spec: { template: {}, ...spec }, status };
}

function pod(name: string, phase: string): Pod {
  return { metadata: { name }, status: { phase } };
}

test('planJob creates up to parallelism pods and never more than the completions left', () => {
  assert.equal(planJob(job({ completions: 5, parallelism: 2 }), { pods: [], now: NOW }).create, 2);
  const pods = [pod('a', 'Succeeded'), pod('b', 'Succeeded'), pod('c', 'Succeeded'), pod('d', 'Succeeded')];
  const plan = planJob(job({ completions: 5, parallelism: 2 }), {
    pods: [...pods, pod('e', 'Running')],
    now: NOW,
  });
  assert.equal(plan.create, 0);
  assert.equal(plan.status.succeeded, 4);
  assert.equal(plan.status.active, 1);
  assert.ok(plan.status.startTime);
});

test('planJob completes when completions succeed and records the Completed event', () => {
  const pods = [1, 2, 3].map((i) => pod(`p${i}`, 'Succeeded'));
  const plan = planJob(job({ completions: 3, parallelism: 2 }), { pods, now: NOW });
  assert.equal(plan.create, 0);
  assert.ok(plan.status.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'));
  assert.equal(plan.status.completionTime, '2026-01-01T00:00:00Z');
  assert.deepEqual(
    plan.events.map((e) => e.reason),
    ['Completed'],
  );
});

test('planJob fails with BackoffLimitExceeded when failed pods exceed backoffLimit', () => {
  const pods = [pod('a', 'Failed'), pod('b', 'Failed'), pod('c', 'Running')];
  const plan = planJob(job({ completions: 1, parallelism: 1, backoffLimit: 1 }), { pods, now: NOW });
  const failed = plan.status.conditions?.find((c) => c.type === 'Failed');
  assert.equal(failed?.reason, 'BackoffLimitExceeded');
  assert.deepEqual(plan.delete, ['c']);
  assert.equal(plan.events[0]?.reason, 'BackoffLimitExceeded');
  // One failure within the limit only replaces the pod.
  assert.equal(
    planJob(job({ completions: 1, backoffLimit: 1 }), { pods: [pod('a', 'Failed')], now: NOW }).create,
    1,
  );
});

test('planJob fails with DeadlineExceeded once activeDeadlineSeconds pass after startTime', () => {
  const j = job({ completions: 1, activeDeadlineSeconds: 10 }, { startTime: '2026-01-01T00:00:00Z' });
  const before = planJob(j, { pods: [pod('a', 'Running')], now: NOW + 5000 });
  assert.equal(before.requeueAt, NOW + 10_000);
  assert.equal(before.status.conditions, undefined);
  const after = planJob(j, { pods: [pod('a', 'Running')], now: NOW + 10_000 });
  assert.equal(after.status.conditions?.find((c) => c.type === 'Failed')?.reason, 'DeadlineExceeded');
  assert.deepEqual(after.delete, ['a']);
});

test('planJob deletes active pods of a suspended Job and ttlSecondsAfterFinished expires it', () => {
  const s = planJob(job({ completions: 2, parallelism: 2, suspend: true }), {
    pods: [pod('a', 'Running')],
    now: NOW,
  });
  assert.deepEqual(s.delete, ['a']);
  assert.equal(s.create, 0);
  assert.ok(s.status.conditions?.some((c) => c.type === 'Suspended'));
  const done = planJob(job({ completions: 1, ttlSecondsAfterFinished: 60 }), {
    pods: [pod('a', 'Succeeded')],
    now: NOW,
  });
  assert.equal(done.requeueAt, NOW + 60_000);
  const finished = job({ completions: 1, ttlSecondsAfterFinished: 60 }, done.status);
  assert.equal(jobTtlExpiry(finished), NOW + 60_000);
  assert.equal(planJob(finished, { pods: [], now: NOW + 59_000 }).expired, false);
  assert.equal(planJob(finished, { pods: [], now: NOW + 60_000 }).expired, true);
});

test('planJob waits out the failure back-off before replacing a failed pod', () => {
  assert.deepEqual([1, 2, 3, 10].map(jobFailureBackoffMs), [10_000, 20_000, 40_000, 360_000]);
  const failed: Pod = {
    metadata: { name: 'a' },
    status: {
      phase: 'Failed',
      containerStatuses: [
        {
          name: 'c',
          image: 'i',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 1, finishedAt: new Date(NOW).toISOString() } },
        },
      ],
    },
  };
  const early = planJob(job({ completions: 1 }), { pods: [failed], now: NOW + 5_000 });
  assert.equal(early.create, 0);
  assert.equal(early.requeueAt, NOW + 10_000);
  assert.equal(planJob(job({ completions: 1 }), { pods: [failed], now: NOW + 10_000 }).create, 1);
});
