import type { CronJob } from 'kubernetes-types/batch/v1.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { isValidTimeZone, parseCron } from '../cron.js';
import { InvalidCronError } from '../errors.js';
import { invalid, notSupported, required } from '../field-error.js';
import { formatLabelSelector } from '../label-selector.js';
import { defaultPodSpec } from '../pod-defaults.js';
import { validatePodSpec } from '../pod-spec-validation.js';
import { ageColumn, column, containersAndImages, nameColumn, workloadWideColumns } from '../table.js';

const POLICIES = ['Allow', 'Forbid', 'Replace'];

/**
 * batch/v1 CronJob: defaults concurrencyPolicy Allow, suspend false, successfulJobsHistoryLimit
 * 3, failedJobsHistoryLimit 1 (and PodSpec defaults in the job template); the schedule must
 * parse (`cron.ts`), the time zone must exist, and a schedule may not carry `TZ=`/`CRON_TZ=`
 * when `spec.timeZone` is set. Names are at most 52 characters, as Kubernetes, so that the
 * Jobs' names (name + `-` + 10 digits) fit.
 */
export const cronJobKind: KindDefinition = {
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  shortNames: ['cj'],
  namespaced: true,
  categories: ['all'],
  subresources: ['status'],
  schemaRef: 'io.k8s.api.batch.v1.CronJob',
  defaults(object) {
    const cj = object as CronJob;
    if (!cj.spec) return;
    cj.spec.concurrencyPolicy ??= 'Allow';
    cj.spec.suspend ??= false;
    cj.spec.successfulJobsHistoryLimit ??= 3;
    cj.spec.failedJobsHistoryLimit ??= 1;
    defaultPodSpec(cj.spec.jobTemplate?.spec?.template?.spec);
  },
  validate(object) {
    const cj = object as CronJob;
    const spec = cj.spec;
    const errs: FieldError[] = [];
    if ((cj.metadata?.name ?? '').length > 52) {
      errs.push(invalid('metadata.name', cj.metadata?.name, 'must be no more than 52 characters'));
    }
    if (!spec) return [...errs, required('spec')];
    if (!spec.schedule) errs.push(required('spec.schedule'));
    else {
      try {
        parseCron(
          spec.schedule,
          spec.timeZone && isValidTimeZone(spec.timeZone) ? { timeZone: spec.timeZone } : {},
        );
      } catch (e) {
        if (!(e instanceof InvalidCronError)) throw e;
        errs.push(invalid('spec.schedule', spec.schedule, String(e.details?.['reason'])));
      }
      if (spec.timeZone !== undefined && spec.schedule.includes('TZ')) {
        errs.push(
          invalid(
            'spec.schedule',
            spec.schedule,
            'cannot use both timeZone field and TZ or CRON_TZ in schedule',
          ),
        );
      }
    }
    if (spec.timeZone !== undefined && !isValidTimeZone(spec.timeZone)) {
      errs.push(invalid('spec.timeZone', spec.timeZone, 'unknown time zone ' + spec.timeZone));
    }
    if (spec.concurrencyPolicy !== undefined && !POLICIES.includes(spec.concurrencyPolicy)) {
      errs.push(notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, POLICIES));
    }
    for (const f of [
      'startingDeadlineSeconds',
      'successfulJobsHistoryLimit',
      'failedJobsHistoryLimit',
    ] as const) {
      const v = spec[f];
      if (v !== undefined && v < 0) errs.push(invalid(`spec.${f}`, v, 'must be greater than or equal to 0'));
    }
    const pod = spec.jobTemplate?.spec?.template?.spec;
    const base = 'spec.jobTemplate.spec.template.spec';
    errs.push(...validatePodSpec(pod, base, { restartPolicies: ['OnFailure', 'Never'] }));
    if (pod && pod.restartPolicy === undefined) {
      errs.push(required(`${base}.restartPolicy`, 'valid values: "OnFailure", "Never"'));
    }
    return errs;
  },
  columns: [
    nameColumn,
    column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column(
      'Timezone',
      'string',
      'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
    ),
    column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions.'),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column(
      'Last Schedule',
      'string',
      'Information when was the last time the job was successfully scheduled.',
    ),
    ageColumn,
    ...workloadWideColumns,
  ],
  cells(object, now) {
    const cj = object as CronJob;
    const spec = cj.spec;
    const [containers, images] = containersAndImages(spec?.jobTemplate?.spec?.template?.spec);
    const last = cj.status?.lastScheduleTime;
    return [
      cj.metadata?.name ?? '',
      spec?.schedule ?? '',
      spec?.timeZone ?? '<none>',
      spec?.suspend === undefined ? '<unset>' : spec.suspend ? 'True' : 'False',
      (cj.status?.active ?? []).length,
      last ? age(last, now) : '<none>',
      age(cj.metadata?.creationTimestamp, now),
      containers,
      images,
      formatLabelSelector(spec?.jobTemplate?.spec?.selector),
    ];
  },
};
