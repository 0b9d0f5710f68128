import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { Controller, controllerKey, getControllerOf, type Informer, objectKey } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import { planCronJob } from './cron-schedule.js';
import type { EventRecorder } from '../client/index.js';
import { jsonEqual } from './json-equal.js';

type C = CronJob & KubeObject;
type J = Job & KubeObject;

/**
 * The CronJob controller: creates a Job for each due schedule time (`planCronJob`: the schedule
 * read in `spec.timeZone`, at most one catch-up run, startingDeadlineSeconds, concurrencyPolicy,
 * suspend), deletes finished Jobs beyond the history limits, writes status (active,
 * lastScheduleTime, lastSuccessfulTime) and requeues itself at the next schedule time on the
 * Clock, so a test moving a ManualClock sees the Job appear. Events: SuccessfulCreate,
 * SawCompletedJob, SuccessfulDelete, JobAlreadyActive, TooManyMissedTimes, FailedCreate.
 */
export class CronJobController extends Controller {
  readonly name = 'cronjob';
  private readonly ctx: ControllerContext;
  private readonly cronJobs: Informer<C>;
  private readonly jobs: Informer<J>;
  private readonly recorder: EventRecorder;

  constructor(ctx: ControllerContext) {
    super({ clock: ctx.clock, workers: 1, onError: (key, err) => ctx.onError?.('cronjob', key, err) });
    this.ctx = ctx;
    this.recorder = ctx.recorder('cronjob-controller');
    this.cronJobs = ctx.informers.for<C>('cronjobs');
    this.jobs = ctx.informers.for<J>('jobs');
    this.cronJobs.addHandlers({
      onAdd: (cj) => this.enqueue(objectKey(cj)),
      onUpdate: (_old, cj) => this.enqueue(objectKey(cj)),
    });
    const onJob = (job: J): void => {
      const key = controllerKey(job, 'CronJob');
      if (key) this.enqueue(key);
    };
    this.jobs.addHandlers({ onAdd: onJob, onUpdate: (_old, job) => onJob(job), onDelete: onJob });
  }

  protected informers(): Informer[] {
    return [this.cronJobs, this.jobs] as unknown as Informer[];
  }

  override async close(): Promise<void> {
    await super.close();
    await this.recorder.close();
  }

  async reconcile(key: string): Promise<void> {
    const cj = this.cronJobs.getByKey(key);
    if (!cj || cj.metadata.deletionTimestamp) return;
    const ns = cj.metadata.namespace ?? 'default';
    const jobs = this.jobs.list({ namespace: ns, match: (j) => getControllerOf(j)?.uid === cj.metadata.uid });
    const now = this.clock.now();
    const plan = planCronJob(cj, { jobs, now });
    const cjObject = { ...cj, apiVersion: 'batch/v1', kind: 'CronJob' };
    for (const name of plan.delete) {
      try {
        await this.ctx.client.delete('jobs', name, { namespace: ns, propagationPolicy: 'Background' });
      } catch (err) {
        if (!(err instanceof StatusError && err.status === 404)) throw err;
      }
    }
    if (plan.create) {
      try {
        const created = (await this.ctx.client.create('jobs', plan.create as KubeObject, {
          namespace: ns,
        })) as J;
        plan.status.active = [
          ...(plan.status.active ?? []),
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: created.metadata.name ?? '',
            namespace: ns,
            uid: created.metadata.uid ?? '',
            resourceVersion: created.metadata.resourceVersion ?? '',
          },
        ];
      } catch (err) {
        if (!(err instanceof StatusError && err.reason === 'AlreadyExists')) {
          const message = err instanceof Error ? err.message : String(err);
          this.recorder.event(cjObject, 'Warning', 'FailedCreate', `Error creating job: ${message}`);
          throw err;
        }
        plan.events = plan.events.filter((e) => e.reason !== 'SuccessfulCreate');
      }
    }
    for (const e of plan.events) this.recorder.event(cjObject, e.type, e.reason, e.message);
    await this.writeStatus(cj, plan.status);
    if (plan.requeueAt !== undefined) this.queue.addAfter(key, Math.max(plan.requeueAt - now, 1));
  }

  /** Writes status with the cached resourceVersion: a stale cache must not undo a newer status (409 → retry). */
  private async writeStatus(cj: C, status: CronJobStatus): Promise<void> {
    const comparable = (s: CronJobStatus): unknown => ({ ...s, active: (s.active ?? []).map((r) => r.name) });
    if (jsonEqual(comparable(cj.status ?? {}), comparable(status))) return;
    try {
      await this.ctx.client.patch(
        'cronjobs',
        cj.metadata.name ?? '',
        {
          metadata: { resourceVersion: cj.metadata.resourceVersion },
          status: { ...status, active: status.active ?? [] },
        },
        { namespace: cj.metadata.namespace ?? '', subresource: 'status' },
      );
    } catch (err) {
      if (!(err instanceof StatusError && err.status === 404)) throw err;
    }
  }
}
