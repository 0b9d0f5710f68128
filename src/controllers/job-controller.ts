import type { Job, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { matchLabelSelector, type LabelSelector } from '../common/selector.js';
import {
  Controller,
  controllerRef,
  Expectations,
  getControllerOf,
  type Informer,
} from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import type { EventRecorder } from '../client/index.js';
import { planJob } from './job-status.js';
import { jsonEqual } from './json-equal.js';
import { createOwnedPod, ownedPodHandlers, ownerHandlers } from './owned-pods.js';

type J = Job & KubeObject;
type P = Pod & KubeObject;

/**
 * The Job controller: runs a Job's pods to completion (NonIndexed). It keeps
 * `min(parallelism, completions - succeeded)` pods active, counts failed pods against
 * backoffLimit, fails the Job after activeDeadlineSeconds, suspends and resumes it, writes
 * status (active, ready, succeeded, failed, startTime, completionTime, conditions) and deletes
 * a finished Job after ttlSecondsAfterFinished (background propagation) — the decisions come
 * from `planJob`. Pods are named `<job>-<5 chars>` with the job-name and controller-uid labels
 * and a controller ownerReference. Events: SuccessfulCreate, SuccessfulDelete, Completed,
 * BackoffLimitExceeded, DeadlineExceeded, FailedCreate.
 */
export class JobController extends Controller {
  readonly name = 'job';
  private readonly ctx: ControllerContext;
  private readonly jobs: Informer<J>;
  private readonly pods: Informer<P>;
  private readonly expectations: Expectations;
  private readonly recorder: EventRecorder;

  constructor(ctx: ControllerContext) {
    super({ clock: ctx.clock, workers: 2, onError: (key, err) => ctx.onError?.('job', key, err) });
    this.ctx = ctx;
    this.expectations = new Expectations(ctx.clock);
    this.recorder = ctx.recorder('job-controller');
    this.jobs = ctx.informers.for<J>('jobs');
    this.pods = ctx.informers.for<P>('pods');
    this.jobs.addHandlers(ownerHandlers(this.expectations, (key) => this.enqueue(key)));
    this.pods.addHandlers(ownedPodHandlers('Job', this.expectations, (key) => this.enqueue(key)));
  }

  protected informers(): Informer[] {
    return [this.jobs, this.pods] as unknown as Informer[];
  }

  override async close(): Promise<void> {
    await super.close();
    await this.recorder.close();
  }

  async reconcile(key: string): Promise<void> {
    const job = this.jobs.getByKey(key);
    if (!job) {
      this.expectations.delete(key);
      return;
    }
    if (job.metadata.deletionTimestamp) return;
    const ns = job.metadata.namespace ?? 'default';
    const selector = job.spec?.selector as LabelSelector | undefined;
    const pods = this.pods.list({
      namespace: ns,
      match: (p) =>
        getControllerOf(p)?.uid === job.metadata.uid && matchLabelSelector(selector, p.metadata.labels),
    });
    const now = this.clock.now();
    const plan = planJob(job, { pods, now });
    const jobObject = { ...job, apiVersion: 'batch/v1', kind: 'Job' };
    if (plan.expired) {
      await this.ignoreNotFound(
        this.ctx.client.delete('jobs', job.metadata.name ?? '', {
          namespace: ns,
          propagationPolicy: 'Background',
        }),
      );
      return;
    }
    const satisfied = this.expectations.satisfied(key);
    if (satisfied) {
      if (plan.create > 0) await this.createPods(key, job, jobObject, plan.create);
      if (plan.delete.length > 0) {
        this.expectations.expect(
          key,
          0,
          plan.delete.map((n) => `${ns}/${n}`),
        );
        for (const name of plan.delete) {
          await this.ignoreNotFound(this.ctx.client.delete('pods', name, { namespace: ns }));
          this.recorder.event(jobObject, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
        }
      }
    }
    // Status only counts what the cache shows; while creations are pending it stays as it was.
    if (satisfied || plan.events.length > 0) {
      for (const e of plan.events) this.recorder.event(jobObject, e.type, e.reason, e.message);
      await this.writeStatus(job, plan.status);
    }
    if (plan.requeueAt !== undefined) this.queue.addAfter(key, Math.max(plan.requeueAt - now, 1));
  }

  private async createPods(key: string, job: J, jobObject: KubeObject, count: number): Promise<void> {
    this.expectations.expect(key, count);
    let failed: Error | undefined;
    for (let i = 0; i < count; i++) {
      try {
        const name = await this.createPod(job);
        this.recorder.event(jobObject, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`);
      } catch (err) {
        failed ??= err instanceof Error ? err : new Error(String(err));
        this.expectations.creationObserved(key);
      }
    }
    if (failed !== undefined) {
      this.recorder.event(jobObject, 'Warning', 'FailedCreate', `Error creating: ${failed.message}`);
      throw failed;
    }
  }

  private createPod(job: J): Promise<string> {
    const jobName = job.metadata.name ?? 'job';
    const uid = job.metadata.uid ?? '';
    return createOwnedPod(this.ctx.client, job, {
      template: job.spec?.template,
      ref: controllerRef(job, 'batch/v1', 'Job'),
      labels: {
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': jobName,
        'controller-uid': uid,
        'job-name': jobName,
      },
    });
  }

  private async writeStatus(job: J, status: JobStatus): Promise<void> {
    if (jsonEqual(job.status ?? {}, status)) return;
    await this.ignoreNotFound(
      this.ctx.client.patch(
        'jobs',
        job.metadata.name ?? '',
        { metadata: { resourceVersion: job.metadata.resourceVersion }, status },
        { namespace: job.metadata.namespace ?? '', subresource: 'status' },
      ),
    );
  }

  private async ignoreNotFound(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (err instanceof StatusError && err.status === 404) return;
      throw err;
    }
  }
}
