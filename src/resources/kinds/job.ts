import type { Job, JobSpec } from 'kubernetes-types/batch/v1.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age, humanDuration } from '../age.js';
import { invalid, notSupported, required } from '../field-error.js';
import { formatLabelSelector } from '../label-selector.js';
import { defaultPodSpec } from '../pod-defaults.js';
import { ageColumn, column, containersAndImages, nameColumn, workloadWideColumns } from '../table.js';
import { selectorImmutable, validateWorkload } from '../workload.js';

const JOB_RESTART_POLICIES = ['OnFailure', 'Never'];

/**
 * Fills JobSpec defaults as `SetDefaults_Job`: completions and parallelism 1 when both are unset,
 * parallelism 1, backoffLimit 6, completionMode NonIndexed, suspend false,
 * podReplacementPolicy TerminatingOrFailed (Failed with a podFailurePolicy). Shared with
 * CronJob job templates' consumers (the CronJob controller creates Jobs through the API).
 */
export function defaultJobSpec(spec: JobSpec): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
}

/**
 * Generates a Job's selector and template labels, as Kubernetes does unless `manualSelector`
 * is true: `batch.kubernetes.io/controller-uid: <uid>` (plus the legacy `controller-uid` and
 * the `job-name` labels). When the uid is not known yet (the API server assigns it after
 * defaulting), the selector is `batch.kubernetes.io/job-name: <name>` instead, which is unique
 * among live Jobs of a namespace.
 */
function generateSelector(job: Job): void {
  const spec = job.spec;
  if (!spec || spec.manualSelector === true || spec.selector) return;
  const uid = job.metadata?.uid;
  const name = job.metadata?.name ?? '';
  spec.selector = {
    matchLabels: uid
      ? { 'batch.kubernetes.io/controller-uid': uid }
      : { 'batch.kubernetes.io/job-name': name },
  };
  const t = (spec.template ??= {});
  const meta = (t.metadata ??= {});
  meta.labels = {
    ...meta.labels,
    ...(uid ? { 'batch.kubernetes.io/controller-uid': uid, 'controller-uid': uid } : {}),
    'batch.kubernetes.io/job-name': name,
    'job-name': name,
  };
}

/** Validates a JobSpec: the template (restartPolicy OnFailure or Never), counts, modes. */
export function validateJobSpec(
  spec: JobSpec | undefined,
  options: { selectorOptional: boolean },
): FieldError[] {
  const errs = validateWorkload(spec, {
    kind: 'job',
    restartPolicies: JOB_RESTART_POLICIES,
    selectorOptional: options.selectorOptional,
  });
  if (!spec) return errs;
  if (spec.template?.spec && spec.template.spec.restartPolicy === undefined) {
    errs.push(required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"'));
  }
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'ttlSecondsAfterFinished'] as const) {
    const v = spec[f];
    if (v !== undefined && v < 0) errs.push(invalid(`spec.${f}`, v, 'must be greater than or equal to 0'));
  }
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0) {
    errs.push(invalid('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds, 'must be greater than 0'));
  }
  if (spec.completionMode !== undefined && !['NonIndexed', 'Indexed'].includes(spec.completionMode)) {
    errs.push(notSupported('spec.completionMode', spec.completionMode, ['NonIndexed', 'Indexed']));
  }
  if (spec.completionMode === 'Indexed' && spec.completions === undefined) {
    errs.push(required('spec.completions', 'when completion mode is Indexed'));
  }
  return errs;
}

/** True when the job has a condition of this type with status True. */
function hasCondition(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** The STATUS cell of a Job, as kubectl 1.30's `printJob`. */
export function jobStatus(job: Job): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/**
 * batch/v1 Job: defaults as `SetDefaults_Job`, a generated selector (when the uid is known),
 * templates restart OnFailure or Never, and the template, selector and completions are
 * immutable after creation.
 */
export const jobKind: KindDefinition = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  namespaced: true,
  categories: ['all'],
  subresources: ['status'],
  schemaRef: 'io.k8s.api.batch.v1.Job',
  defaults(object) {
    const job = object as Job;
    if (!job.spec) return;
    defaultJobSpec(job.spec);
    generateSelector(job);
    defaultPodSpec(job.spec.template?.spec);
  },
  validate(object, old) {
    const job = object as Job;
    const errs = validateJobSpec(job.spec, { selectorOptional: false });
    const before = (old as Job | undefined)?.spec;
    if (before) {
      errs.push(...selectorImmutable(job.spec, before));
      if (JSON.stringify(job.spec?.template ?? null) !== JSON.stringify(before.template ?? null)) {
        errs.push({
          reason: 'FieldValueInvalid',
          field: 'spec.template',
          message: 'Invalid value: core.PodTemplateSpec{…}: field is immutable',
        });
      }
      if (job.spec?.completions !== before.completions && job.spec?.completionMode !== 'Indexed') {
        errs.push(invalid('spec.completions', job.spec?.completions ?? null, 'field is immutable'));
      }
    }
    return errs;
  },
  columns: [
    nameColumn,
    column('Status', 'string', 'Status of the job.'),
    column(
      'Completions',
      'string',
      'The desired number of successfully finished pods the job should be run with.',
    ),
    column('Duration', 'string', 'Time required to complete the job.'),
    ageColumn,
    ...workloadWideColumns,
  ],
  cells(object, now) {
    const job = object as Job;
    const spec = job.spec;
    const succeeded = job.status?.succeeded ?? 0;
    let completions: string;
    if (spec?.completions !== undefined) completions = `${succeeded}/${spec.completions}`;
    else if ((spec?.parallelism ?? 0) > 1) completions = `${succeeded}/1 of ${spec?.parallelism}`;
    else completions = `${succeeded}/1`;
    const start = job.status?.startTime ? Date.parse(job.status.startTime) : undefined;
    const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
    const duration = start === undefined ? '' : humanDuration(end - start);
    const [containers, images] = containersAndImages(spec?.template?.spec);
    return [
      job.metadata?.name ?? '',
      jobStatus(job),
      completions,
      duration,
      age(job.metadata?.creationTimestamp, now),
      containers,
      images,
      formatLabelSelector(spec?.selector),
    ];
  },
};
