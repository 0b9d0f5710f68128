import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { parseCron } from '../resources/index.js';
import { isJobFinished, jobHasCondition } from './job-status.js';

/**
 * The decisions of the CronJob controller, as kube-controller-manager makes them, with no I/O:
 * which scheduled time (if any) is due now — at most one catch-up run, the most recent missed
 * one, within `startingDeadlineSeconds` — what concurrencyPolicy allows, which finished Jobs
 * fall out of the history limits, the status to write and when to look again.
 */

/** An Event the controller should record about the CronJob. */
export interface CronEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** What the CronJob controller should do for one CronJob now. */
export interface CronPlan {
  /** A Job to create now, or undefined. */
  create: Job | undefined;
  /** Names of Jobs to delete: active ones replaced (Replace) and finished ones beyond the history limits. */
  delete: string[];
  /** The status to write. */
  status: CronJobStatus;
  events: CronEvent[];
  /** When (ms) the next schedule is due, or undefined when none is (suspended, no next time). */
  requeueAt: number | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The name of the Job for a scheduled time: `<cronjob>-<minutes since the epoch>`. */
export function cronJobName(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60000)}`;
}

/**
 * The most recent schedule time at or before `now` after `earliest`, and how many were
 * missed; `next` is the first one after now. Stops counting past 101 (like Kubernetes, which
 * only warns about "too many missed start times").
 */
export function mostRecentSchedule(
  cj: CronJob,
  now: number,
): { mostRecent: number | undefined; missed: number; next: number | undefined } {
  const spec = cj.spec;
  const schedule = parseCron(spec?.schedule ?? '', spec?.timeZone ? { timeZone: spec.timeZone } : {});
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata?.creationTimestamp ?? '');
  if (!Number.isFinite(earliest)) earliest = now;
  if (spec?.startingDeadlineSeconds !== undefined) {
    earliest = Math.max(earliest, now - spec.startingDeadlineSeconds * 1000);
  }
  let mostRecent: number | undefined;
  let missed = 0;
  let t = schedule.next(earliest);
  while (t !== undefined && t <= now) {
    mostRecent = t;
    missed++;
    if (missed > 101) {
      // Jump to the last schedule before now without counting each one.
      let probe = schedule.next(Math.max(t, now - 366 * 24 * 3600 * 1000));
      while (probe !== undefined && probe <= now) {
        mostRecent = probe;
        probe = schedule.next(probe);
      }
      t = probe;
      break;
    }
    t = schedule.next(t);
  }
  return { mostRecent, missed, next: t };
}

/** The Job a CronJob creates for a scheduled time: the template, an owner reference, the annotation. */
export function jobForSchedule(cj: CronJob, scheduledMs: number): Job {
  const tpl = cj.spec?.jobTemplate;
  const meta = cj.metadata ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: cronJobName(meta.name ?? '', scheduledMs),
      namespace: meta.namespace ?? 'default',
      labels: { ...tpl?.metadata?.labels },
      annotations: {
        ...tpl?.metadata?.annotations,
        'batch.kubernetes.io/cronjob-scheduled-timestamp': new Date(scheduledMs).toISOString(),
      },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: meta.name ?? '',
          uid: meta.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: structuredClone(tpl?.spec ?? { template: {} }),
  };
}

function ref(job: Job): ObjectReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: job.metadata?.name ?? '',
    namespace: job.metadata?.namespace ?? '',
    uid: job.metadata?.uid ?? '',
    resourceVersion: job.metadata?.resourceVersion ?? '',
  };
}

const created = (j: Job): number =>
  Date.parse(j.status?.startTime ?? j.metadata?.creationTimestamp ?? '') || 0;

/** Plans one reconcile of a CronJob from the Jobs it owns (by controller owner reference). */
export function planCronJob(cj: CronJob, observed: { jobs: Job[]; now: number }): CronPlan {
  const { jobs, now } = observed;
  const spec = cj.spec;
  const name = cj.metadata?.name ?? '';
  const events: CronEvent[] = [];
  const del: string[] = [];
  const prev = cj.status ?? {};
  const wasActive = new Set((prev.active ?? []).map((r) => r.name));
  const live = jobs.filter((j) => !j.metadata?.deletionTimestamp);
  const active = live.filter((j) => !isJobFinished(j));
  const status: CronJobStatus = { ...prev };
  let lastSuccess = Date.parse(prev.lastSuccessfulTime ?? '') || 0;
  for (const j of live) {
    if (!isJobFinished(j)) continue;
    const jname = j.metadata?.name ?? '';
    if (wasActive.has(jname)) {
      const state = jobHasCondition(j, 'Complete') ? 'Complete' : 'Failed';
      events.push({
        type: 'Normal',
        reason: 'SawCompletedJob',
        message: `Saw completed job: ${jname}, status: ${state}`,
      });
    }
    if (jobHasCondition(j, 'Complete')) {
      lastSuccess = Math.max(lastSuccess, Date.parse(j.status?.completionTime ?? '') || 0);
    }
  }
  if (lastSuccess > 0) status.lastSuccessfulTime = iso(lastSuccess);
  // History limits: the oldest finished Jobs beyond each limit go.
  const prune = (finished: Job[], limit: number | undefined): void => {
    if (limit === undefined) return;
    const sorted = [...finished].sort((a, b) => created(a) - created(b));
    for (const j of sorted.slice(0, Math.max(sorted.length - limit, 0))) {
      del.push(j.metadata?.name ?? '');
      events.push({
        type: 'Normal',
        reason: 'SuccessfulDelete',
        message: `Deleted job ${j.metadata?.name ?? ''}`,
      });
    }
  };
  prune(
    live.filter((j) => jobHasCondition(j, 'Complete')),
    spec?.successfulJobsHistoryLimit ?? 3,
  );
  prune(
    live.filter((j) => jobHasCondition(j, 'Failed')),
    spec?.failedJobsHistoryLimit ?? 1,
  );
  let activeNow = active;
  let create: Job | undefined;
  const { mostRecent, missed, next } = mostRecentSchedule(cj, now);
  if (spec?.suspend === true) {
    status.active = activeNow.map(ref);
    return { create: undefined, delete: del, status, events, requeueAt: undefined };
  }
  if (missed > 100) {
    events.push({
      type: 'Warning',
      reason: 'TooManyMissedTimes',
      message:
        'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    });
  }
  if (mostRecent !== undefined) {
    const jobName = cronJobName(name, mostRecent);
    const already = jobs.some((j) => j.metadata?.name === jobName);
    const policy = spec?.concurrencyPolicy ?? 'Allow';
    if (already) {
      // This schedule already ran (or is running).
    } else if (policy === 'Forbid' && activeNow.length > 0) {
      events.push({
        type: 'Normal',
        reason: 'JobAlreadyActive',
        message: 'Not starting job because prior execution is running and concurrency policy is Forbid',
      });
    } else {
      if (policy === 'Replace') {
        for (const j of activeNow) {
          del.push(j.metadata?.name ?? '');
          events.push({
            type: 'Normal',
            reason: 'SuccessfulDelete',
            message: `Deleted job ${j.metadata?.name ?? ''}`,
          });
        }
        activeNow = [];
      }
      create = jobForSchedule(cj, mostRecent);
      events.push({ type: 'Normal', reason: 'SuccessfulCreate', message: `Created job ${jobName}` });
      status.lastScheduleTime = iso(mostRecent);
    }
  }
  status.active = activeNow.map(ref);
  return { create, delete: del, status, events, requeueAt: next };
}
