import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { matchLabelSelector, type LabelSelector } from '../common/selector.js';
import {
  Controller,
  controllerKey,
  Expectations,
  getControllerOf,
  type Informer,
  objectKey,
  randomSuffix,
} from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import { daemonPod, planDaemonSet } from './daemonset-plan.js';
import type { EventRecorder } from '../client/index.js';
import { jsonEqual } from './json-equal.js';

type D = DaemonSet & KubeObject;
type P = Pod & KubeObject;
type N = Node & KubeObject;

/**
 * The DaemonSet controller: one pod per eligible node (`planDaemonSet`: nodeSelector, required
 * node affinity, taints with the daemon tolerations), created with `spec.nodeName` set (the
 * controller places its own pods, so daemons run even when the scheduler is not running) and a
 * `controller-revision-hash` label; RollingUpdate replaces old pods within maxUnavailable,
 * OnDelete waits for users to delete them; status and observedGeneration written back.
 * Events: SuccessfulCreate, SuccessfulDelete, FailedCreate.
 */
export class DaemonSetController extends Controller {
  readonly name = 'daemonset';
  private readonly ctx: ControllerContext;
  private readonly sets: Informer<D>;
  private readonly pods: Informer<P>;
  private readonly nodes: Informer<N>;
  private readonly expectations: Expectations;
  private readonly recorder: EventRecorder;

  constructor(ctx: ControllerContext) {
    super({ clock: ctx.clock, workers: 2, onError: (key, err) => ctx.onError?.('daemonset', key, err) });
    this.ctx = ctx;
    this.expectations = new Expectations(ctx.clock);
    this.recorder = ctx.recorder('daemonset-controller');
    this.sets = ctx.informers.for<D>('daemonsets');
    this.pods = ctx.informers.for<P>('pods');
    this.nodes = ctx.informers.for<N>('nodes');
    this.sets.addHandlers({
      onAdd: (ds) => this.enqueue(objectKey(ds)),
      onUpdate: (_old, ds) => this.enqueue(objectKey(ds)),
      onDelete: (ds) => this.expectations.delete(objectKey(ds)),
    });
    const all = (): void => {
      for (const ds of this.sets.list()) this.enqueue(objectKey(ds));
    };
    this.nodes.addHandlers({
      onAdd: all,
      onUpdate: (old, node) => {
        if (!jsonEqual(old.metadata.labels, node.metadata.labels) || !jsonEqual(old.spec, node.spec)) all();
      },
      onDelete: all,
    });
    this.pods.addHandlers({
      onAdd: (pod) => {
        const key = controllerKey(pod, 'DaemonSet');
        if (!key) return;
        this.expectations.creationObserved(key);
        this.enqueue(key);
      },
      onUpdate: (old, pod) => {
        const key = controllerKey(pod, 'DaemonSet');
        if (!key) return;
        if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) {
          this.expectations.deletionObserved(key, objectKey(pod));
        }
        this.enqueue(key);
      },
      onDelete: (pod) => {
        const key = controllerKey(pod, 'DaemonSet');
        if (!key) return;
        this.expectations.deletionObserved(key, objectKey(pod));
        this.enqueue(key);
      },
    });
  }

  protected informers(): Informer[] {
    return [this.sets, this.pods, this.nodes] as unknown as Informer[];
  }

  override async close(): Promise<void> {
    await super.close();
    await this.recorder.close();
  }

  async reconcile(key: string): Promise<void> {
    const ds = this.sets.getByKey(key);
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    if (ds.metadata.deletionTimestamp) return;
    const ns = ds.metadata.namespace ?? 'default';
    const selector = ds.spec?.selector as LabelSelector | undefined;
    const pods = this.pods.list({
      namespace: ns,
      match: (p) =>
        getControllerOf(p)?.uid === ds.metadata.uid && matchLabelSelector(selector, p.metadata.labels),
    });
    const now = this.clock.now();
    const plan = planDaemonSet(ds, { nodes: this.nodes.list(), pods, now });
    const dsObject = { ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' };
    if (this.expectations.satisfied(key)) {
      this.expectations.expect(
        key,
        plan.createOn.length,
        plan.delete.map((n) => `${ns}/${n}`),
      );
      let failed: Error | undefined;
      for (const name of plan.delete) {
        try {
          await this.ctx.client.delete('pods', name, { namespace: ns });
          this.recorder.event(dsObject, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
        } catch (err) {
          this.expectations.deletionObserved(key, `${ns}/${name}`);
          if (!(err instanceof StatusError && err.status === 404))
            failed ??= err instanceof Error ? err : new Error(String(err));
        }
      }
      for (const nodeName of plan.createOn) {
        const pod = daemonPod(ds, nodeName);
        const { generateName: _g, ...meta } = pod.metadata ?? {};
        const name = `${ds.metadata.name ?? 'daemon'}-${randomSuffix()}`;
        try {
          await this.ctx.client.create('pods', { ...pod, metadata: { ...meta, name } } as KubeObject, {
            namespace: ns,
            fieldValidation: 'Ignore',
          });
          this.recorder.event(dsObject, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`);
        } catch (err) {
          this.expectations.creationObserved(key);
          const message = err instanceof Error ? err.message : String(err);
          this.recorder.event(dsObject, 'Warning', 'FailedCreate', `Error creating: ${message}`);
          failed ??= err instanceof Error ? err : new Error(String(err));
        }
      }
      if (failed !== undefined) throw failed;
    }
    await this.writeStatus(ds, plan.status);
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && plan.status.numberAvailable !== plan.status.numberReady) {
      this.queue.addAfter(key, minReady * 1000);
    }
  }

  private async writeStatus(ds: D, status: DaemonSetStatus): Promise<void> {
    if (jsonEqual({ ...ds.status, conditions: undefined }, status)) return;
    try {
      await this.ctx.client.patch(
        'daemonsets',
        ds.metadata.name ?? '',
        { status },
        { namespace: ds.metadata.namespace ?? '', subresource: 'status' },
      );
    } catch (err) {
      if (!(err instanceof StatusError && err.status === 404)) throw err;
    }
  }
}
