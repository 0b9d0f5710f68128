import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { compareForDeletion, isPodActive, isPodReady } from './pod-state.js';

/**
 * The decisions of the Job controller, as kube-controller-manager makes them for NonIndexed
 * Jobs, with no I/O: how many pods to create or delete now, the status that results, whether
 * the Job just finished (Complete, or Failed with BackoffLimitExceeded/DeadlineExceeded), and
 * when to look again (the active deadline, the TTL after finishing).
 */

/** An Event the controller should record about the Job. */
export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** What the Job controller should do for one Job now. */
export interface JobPlan {
  /** Pods to create (each from the template). */
  create: number;
  /** Names of active pods to delete (surplus, suspended, or the Job finished). */
  delete: string[];
  /** The status to write. */
  status: JobStatus;
  /** Events to record (only for decisions taken in this step). */
  events: JobEvent[];
  /** When (ms) to reconcile again if nothing changes before, or undefined. */
  requeueAt: number | undefined;
  /** True when the TTL after finishing has passed: delete the Job (background propagation). */
  expired: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** True when the Job has a condition of this type with status True. */
export function jobHasCondition(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** True when the Job is Complete or Failed. */
export function isJobFinished(job: Job): boolean {
  return jobHasCondition(job, 'Complete') || jobHasCondition(job, 'Failed');
}

/** When a finished Job may be deleted (ms), or undefined when it has no TTL or is not finished. */
export function jobTtlExpiry(job: Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || !isJobFinished(job)) return undefined;
  const finished = (job.status?.conditions ?? []).find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  const at = Date.parse(job.status?.completionTime ?? finished?.lastTransitionTime ?? '');
  return Number.isFinite(at) ? at + ttl * 1000 : undefined;
}

/** Back-off before a failed Job creates pods again: 10 s doubling per failure, at most 6 min. */
export function jobFailureBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(10_000 * 2 ** Math.min(failures - 1, 10), 360_000);
}

/** When the last failed pod finished, from its containers' terminated times (or its Ready transition). */
function failedAt(pod: Pod): number | undefined {
  const times = (pod.status?.containerStatuses ?? [])
    .map((c) => Date.parse(c.state?.terminated?.finishedAt ?? ''))
    .filter(Number.isFinite);
  if (times.length > 0) return Math.max(...times);
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const t = Date.parse(ready?.lastTransitionTime ?? '');
  return Number.isFinite(t) ? t : undefined;
}

function failureBackoffUntil(pods: Pod[], failures: number): number | undefined {
  const times = pods
    .filter((p) => p.status?.phase === 'Failed')
    .map(failedAt)
    .filter((t): t is number => t !== undefined);
  if (times.length === 0) return undefined;
  return Math.max(...times) + jobFailureBackoffMs(failures);
}

function condition(type: string, reason: string, message: string, now: number): JobCondition {
  const t = iso(now);
  return { type, status: 'True', reason, message, lastProbeTime: t, lastTransitionTime: t };
}

function finish(
  job: Job,
  active: Pod[],
  status: JobStatus,
  conditions: JobCondition[],
  event: JobEvent,
  now: number,
): JobPlan {
  const kept = (job.status?.conditions ?? []).filter((c) => !conditions.some((n) => n.type === c.type));
  status.conditions = [...kept, ...conditions];
  status.active = 0;
  status.ready = 0;
  const ttl = job.spec?.ttlSecondsAfterFinished;
  return {
    create: 0,
    delete: active.map((p) => p.metadata?.name ?? ''),
    status,
    events: [event],
    // Even with a TTL of 0 the status and Event are written first; the next pass deletes.
    requeueAt: ttl === undefined ? undefined : now + ttl * 1000,
    expired: false,
  };
}

/**
 * Plans one reconcile of a NonIndexed Job from the pods its selector matches. Succeeded and
 * failed counts never go below what the status already recorded (pods may have been removed).
 * backoffLimit counts failed pods; activeDeadlineSeconds runs from status.startTime.
 */
export function planJob(job: Job, observed: { pods: Pod[]; now: number }): JobPlan {
  const { pods, now } = observed;
  const spec = job.spec ?? { template: {} };
  const prev = job.status ?? {};
  const active = pods.filter(isPodActive);
  const succeeded = Math.max(prev.succeeded ?? 0, pods.filter((p) => p.status?.phase === 'Succeeded').length);
  const failed = Math.max(prev.failed ?? 0, pods.filter((p) => p.status?.phase === 'Failed').length);
  const status: JobStatus = {
    ...prev,
    active: active.length,
    ready: active.filter(isPodReady).length,
    succeeded,
    failed,
  };
  if (isJobFinished(job)) {
    const expiry = jobTtlExpiry(job);
    return {
      create: 0,
      delete: active.map((p) => p.metadata?.name ?? ''),
      status,
      events: [],
      requeueAt: expiry !== undefined && expiry > now ? expiry : undefined,
      expired: expiry !== undefined && expiry <= now,
    };
  }
  const events: JobEvent[] = [];
  if (spec.suspend === true) {
    const suspended = jobHasCondition(job, 'Suspended');
    if (!suspended) {
      status.conditions = [
        ...(prev.conditions ?? []).filter((c) => c.type !== 'Suspended'),
        condition('Suspended', 'JobSuspended', 'Job suspended', now),
      ];
      events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    }
    return {
      create: 0,
      delete: active.map((p) => p.metadata?.name ?? ''),
      status,
      events,
      requeueAt: undefined,
      expired: false,
    };
  }
  if (jobHasCondition(job, 'Suspended')) {
    status.conditions = (prev.conditions ?? []).map((c) =>
      c.type === 'Suspended'
        ? {
            ...c,
            status: 'False',
            reason: 'JobResumed',
            message: 'Job resumed',
            lastTransitionTime: iso(now),
          }
        : c,
    );
    status.startTime = iso(now);
    events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
  }
  status.startTime ??= iso(now);
  const completions = spec.completions ?? undefined;
  const backoffLimit = spec.backoffLimit ?? 6;
  if (failed > backoffLimit) {
    const message = 'Job has reached the specified backoff limit';
    return finish(
      job,
      active,
      status,
      [
        condition('FailureTarget', 'BackoffLimitExceeded', message, now),
        condition('Failed', 'BackoffLimitExceeded', message, now),
      ],
      { type: 'Warning', reason: 'BackoffLimitExceeded', message },
      now,
    );
  }
  const deadline =
    spec.activeDeadlineSeconds === undefined
      ? undefined
      : Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000;
  if (deadline !== undefined && now >= deadline) {
    const message = 'Job was active longer than specified deadline';
    return finish(
      job,
      active,
      status,
      [
        condition('FailureTarget', 'DeadlineExceeded', message, now),
        condition('Failed', 'DeadlineExceeded', message, now),
      ],
      { type: 'Warning', reason: 'DeadlineExceeded', message },
      now,
    );
  }
  const complete =
    completions !== undefined && completions !== null
      ? succeeded >= completions
      : succeeded > 0 && active.length === 0;
  if (complete) {
    status.completionTime = iso(now);
    return finish(
      job,
      active,
      status,
      [
        condition(
          'SuccessCriteriaMet',
          'CompletionsReached',
          'Reached expected number of succeeded pods',
          now,
        ),
        condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', now),
      ],
      { type: 'Normal', reason: 'Completed', message: 'Job completed' },
      now,
    );
  }
  const parallelism = spec.parallelism ?? 1;
  let want: number;
  if (completions !== undefined && completions !== null)
    want = Math.min(parallelism, completions - succeeded);
  else want = succeeded > 0 ? Math.min(active.length, parallelism) : parallelism;
  want = Math.max(want, 0);
  const surplus = [...active].sort(compareForDeletion).slice(0, Math.max(active.length - want, 0));
  let create = Math.max(want - active.length, 0);
  let requeueAt = deadline;
  const retryAt = failureBackoffUntil(pods, failed);
  if (create > 0 && retryAt !== undefined && retryAt > now) {
    // After failures new pods wait out the back-off, as Kubernetes' Job controller does.
    create = 0;
    requeueAt = requeueAt === undefined ? retryAt : Math.min(requeueAt, retryAt);
  }
  return {
    create,
    delete: surplus.map((p) => p.metadata?.name ?? ''),
    status,
    events,
    requeueAt,
    expired: false,
  };
}
