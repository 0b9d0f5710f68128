import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { matchLabelSelector, type LabelSelector } from '../common/selector.js';
import {
  Controller,
  controllerRef,
  Expectations,
  getControllerOf,
  type Informer,
  objectKey,
} from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import type { EventRecorder } from '../client/index.js';
import { createOwnedPod, ownedPodHandlers, ownerHandlers } from './owned-pods.js';
import { isPodActive, isPodAvailable, isPodReady, compareForDeletion } from './pod-state.js';

type RS = ReplicaSet & KubeObject;
type P = Pod & KubeObject;

/** Pods created or deleted per reconcile at most; the rest follow on the next pass. */
const BURST = 500;

/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods matching the selector. It
 * creates pods from the template (named `<rs>-<5 chars>`, controller ownerReference), deletes
 * surplus pods in `compareForDeletion` order, adopts orphans that match the selector, releases
 * pods that stopped matching, and writes status (replicas, fullyLabeledReplicas, ready,
 * available after minReadySeconds, observedGeneration). Expectations keep a lagging cache from
 * causing duplicate creations. Events: SuccessfulCreate, SuccessfulDelete, FailedCreate.
 */
export class ReplicaSetController extends Controller {
  readonly name = 'replicaset';
  private readonly ctx: ControllerContext;
  private readonly sets: Informer<RS>;
  private readonly pods: Informer<P>;
  private readonly expectations: Expectations;
  private readonly recorder: EventRecorder;

  constructor(ctx: ControllerContext) {
    super({
      clock: ctx.clock,
      workers: 4,
      onError: (key, err) => ctx.onError?.('replicaset', key, err),
    });
    this.ctx = ctx;
    this.expectations = new Expectations(ctx.clock);
    this.recorder = ctx.recorder('replicaset-controller');
    this.sets = ctx.informers.for<RS>('replicasets');
    this.pods = ctx.informers.for<P>('pods');
    this.sets.addHandlers(ownerHandlers(this.expectations, (key) => this.enqueue(key)));
    this.pods.addHandlers(
      ownedPodHandlers(
        'ReplicaSet',
        this.expectations,
        (key) => this.enqueue(key),
        (pod) => this.enqueueMatching(pod),
      ),
    );
  }

  protected informers(): Informer[] {
    return [this.sets, this.pods] as unknown as Informer[];
  }

  override async close(): Promise<void> {
    await super.close();
    await this.recorder.close();
  }

  private enqueueMatching(pod: P): void {
    for (const rs of this.sets.list({ namespace: pod.metadata.namespace ?? '' })) {
      if (matchLabelSelector(rs.spec?.selector, pod.metadata.labels)) {
        this.enqueue(objectKey(rs));
      }
    }
  }

  async reconcile(key: string): Promise<void> {
    const rs = this.sets.getByKey(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const ns = rs.metadata.namespace ?? 'default';
    const selector = rs.spec?.selector as LabelSelector | undefined;
    const uid = rs.metadata.uid;
    const owned: P[] = [];
    // Its own pods and the namespace's orphans (through the informer's controller index): the
    // pods of other controllers cannot be owned or adopted, so they are not looked at.
    const candidates = uid === undefined ? [] : this.pods.listByController(ns, uid);
    for (const pod of [...candidates, ...this.pods.listByController(ns, '')]) {
      const ref = getControllerOf(pod);
      const matches = matchLabelSelector(selector, pod.metadata.labels);
      if (ref?.uid === uid) {
        if (matches) owned.push(pod);
        else if (!rs.metadata.deletionTimestamp) await this.release(pod, rs);
      } else if (!ref && matches && !pod.metadata.deletionTimestamp && !rs.metadata.deletionTimestamp) {
        if (isPodActive(pod) && (await this.adopt(pod, rs))) owned.push(pod);
      }
    }
    const active = owned.filter(isPodActive);
    if (this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp) {
      await this.manage(key, rs, active);
    }
    await this.writeStatus(key, rs, active);
  }

  private async manage(key: string, rs: RS, active: P[]): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = active.length - want;
    const rsObject = { ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' };
    if (diff < 0) {
      const n = Math.min(-diff, BURST);
      this.expectations.expect(key, n);
      let failed: Error | undefined;
      // Slow start, as Kubernetes: 1, 2, 4 … so that a failing template costs few requests.
      let done = 0;
      for (let batch = 1; done < n && failed === undefined; batch *= 2) {
        const size = Math.min(batch, n - done);
        const results = await Promise.allSettled(Array.from({ length: size }, () => this.createPod(rs)));
        for (const r of results) {
          if (r.status === 'fulfilled') {
            this.recorder.event(rsObject, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value}`);
          } else {
            failed ??= toError(r.reason);
            this.expectations.creationObserved(key);
          }
        }
        done += size;
      }
      for (let i = done; i < n; i++) this.expectations.creationObserved(key);
      if (failed !== undefined) {
        this.recorder.event(rsObject, 'Warning', 'FailedCreate', `Error creating: ${failed.message}`);
        throw failed;
      }
    } else if (diff > 0) {
      const victims = [...active].sort(compareForDeletion).slice(0, Math.min(diff, BURST));
      this.expectations.expect(key, 0, victims.map(objectKey));
      const results = await Promise.allSettled(
        victims.map((pod) =>
          this.ctx.client.delete('pods', pod.metadata.name ?? '', {
            namespace: pod.metadata.namespace ?? '',
          }),
        ),
      );
      let failed: Error | undefined;
      results.forEach((r, i) => {
        const pod = victims[i]!;
        if (r.status === 'fulfilled' || (r.reason instanceof StatusError && r.reason.status === 404)) {
          this.recorder.event(
            rsObject,
            'Normal',
            'SuccessfulDelete',
            `Deleted pod: ${pod.metadata.name ?? ''}`,
          );
          if (r.status === 'rejected') this.expectations.deletionObserved(key, objectKey(pod));
        } else {
          failed ??= toError(r.reason);
          this.expectations.deletionObserved(key, objectKey(pod));
        }
      });
      if (failed !== undefined) throw failed;
    }
  }

  private createPod(rs: RS): Promise<string> {
    return createOwnedPod(this.ctx.client, rs, {
      template: rs.spec?.template,
      ref: controllerRef(rs, 'apps/v1', 'ReplicaSet'),
    });
  }

  private async adopt(pod: P, rs: RS): Promise<boolean> {
    const refs = [...(pod.metadata.ownerReferences ?? []), controllerRef(rs, 'apps/v1', 'ReplicaSet')];
    try {
      await this.ctx.client.patch(
        'pods',
        pod.metadata.name ?? '',
        { metadata: { ownerReferences: refs, resourceVersion: pod.metadata.resourceVersion } },
        { namespace: pod.metadata.namespace ?? '' },
      );
      return true;
    } catch (err) {
      if (err instanceof StatusError && (err.status === 404 || err.status === 409)) return false;
      throw err;
    }
  }

  private async release(pod: P, rs: RS): Promise<void> {
    const refs = (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== rs.metadata.uid);
    try {
      await this.ctx.client.patch(
        'pods',
        pod.metadata.name ?? '',
        {
          metadata: {
            ownerReferences: refs.length > 0 ? refs : null,
            resourceVersion: pod.metadata.resourceVersion,
          },
        },
        { namespace: pod.metadata.namespace ?? '' },
      );
    } catch (err) {
      if (err instanceof StatusError && (err.status === 404 || err.status === 409)) return;
      throw err;
    }
  }

  private async writeStatus(key: string, rs: RS, active: P[]): Promise<void> {
    const now = this.clock.now();
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const fully = active.filter((p) =>
      Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v),
    ).length;
    const ready = active.filter(isPodReady);
    const available = active.filter((p) => isPodAvailable(p, minReady, now));
    const status: ReplicaSetStatus = {
      replicas: active.length,
      fullyLabeledReplicas: fully,
      readyReplicas: ready.length,
      availableReplicas: available.length,
      observedGeneration: rs.metadata.generation ?? 0,
      ...(rs.status?.conditions ? { conditions: rs.status.conditions } : {}),
    };
    if (minReady > 0 && available.length < ready.length) {
      // A ready pod becomes available later: look again then.
      this.queue.addAfter(key, minReady * 1000);
    }
    const old: ReplicaSetStatus = rs.status ?? { replicas: -1 };
    if (
      old.replicas === status.replicas &&
      (old.fullyLabeledReplicas ?? 0) === status.fullyLabeledReplicas &&
      (old.readyReplicas ?? 0) === status.readyReplicas &&
      (old.availableReplicas ?? 0) === status.availableReplicas &&
      old.observedGeneration === status.observedGeneration
    ) {
      return;
    }
    try {
      await this.ctx.client.patch(
        'replicasets',
        rs.metadata.name ?? '',
        { status },
        { namespace: rs.metadata.namespace ?? '', subresource: 'status' },
      );
    } catch (err) {
      if (err instanceof StatusError && err.status === 404) return;
      throw err;
    }
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
