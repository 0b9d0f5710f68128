import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { Controller, controllerKey, controllerRef, type Informer, objectKey } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import {
  deploymentStatus,
  fenceposts,
  newReplicaSetReplicas,
  oldReplicaSetsReplicas,
} from './deployment-rollout.js';
import type { EventRecorder } from '../client/index.js';
import { canonicalJson, podTemplateHash } from './pod-template-hash.js';

type D = Deployment & KubeObject;
type RS = ReplicaSet & KubeObject;

const REVISION = 'deployment.kubernetes.io/revision';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';
const HASH = 'pod-template-hash';
/** Annotations of the Deployment not copied to its ReplicaSets. */
const NOT_COPIED = new Set([
  REVISION,
  DESIRED,
  MAX,
  'deployment.kubernetes.io/revision-history',
  'kubectl.kubernetes.io/last-applied-configuration',
]);

const revisionOf = (rs: RS): number => Number(rs.metadata.annotations?.[REVISION] ?? 0) || 0;
const replicasOf = (rs: RS): number => rs.spec?.replicas ?? 0;

/** The template with the pod-template-hash label removed, for comparing RS and Deployment templates. */
function templateWithoutHash(rs: RS): unknown {
  const t = structuredClone(rs.spec?.template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[HASH];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

/**
 * The Deployment controller: owns ReplicaSets named `<deployment>-<pod-template-hash>`, one per
 * distinct template, and moves replicas from the old ones to the new one: RollingUpdate within
 * maxSurge/maxUnavailable (the arithmetic of `deployment-rollout.ts`), or Recreate (old to zero
 * first). It numbers revisions (`deployment.kubernetes.io/revision`, max+1, also when a rollback
 * reuses an old ReplicaSet), stops rolling out while paused, deletes old empty ReplicaSets beyond
 * revisionHistoryLimit, and writes status with the Available and Progressing conditions.
 * Every scaling leaves a `ScalingReplicaSet` Event.
 */
export class DeploymentController extends Controller {
  readonly name = 'deployment';
  private readonly ctx: ControllerContext;
  private readonly deployments: Informer<D>;
  private readonly sets: Informer<RS>;
  private readonly recorder: EventRecorder;

  constructor(ctx: ControllerContext) {
    super({ clock: ctx.clock, workers: 4, onError: (key, err) => ctx.onError?.('deployment', key, err) });
    this.ctx = ctx;
    this.recorder = ctx.recorder('deployment-controller');
    this.deployments = ctx.informers.for<D>('deployments');
    this.sets = ctx.informers.for<RS>('replicasets');
    this.deployments.addHandlers({
      onAdd: (d) => this.enqueue(objectKey(d)),
      onUpdate: (_o, d) => this.enqueue(objectKey(d)),
      onDelete: (d) => this.enqueue(objectKey(d)),
    });
    const rsChanged = (rs: RS): void => {
      const key = controllerKey(rs, 'Deployment');
      if (key) this.enqueue(key);
    };
    this.sets.addHandlers({ onAdd: rsChanged, onUpdate: (_o, rs) => rsChanged(rs), onDelete: rsChanged });
  }

  protected informers(): Informer[] {
    return [this.deployments, this.sets] as unknown as Informer[];
  }

  override async close(): Promise<void> {
    await super.close();
    await this.recorder.close();
  }

  async reconcile(key: string): Promise<void> {
    const d = this.deployments.getByKey(key);
    if (!d || d.metadata.deletionTimestamp) return;
    const ns = d.metadata.namespace ?? 'default';
    const all = this.sets.list({
      namespace: ns,
      match: (rs) =>
        rs.metadata.ownerReferences?.some((r) => r.uid === d.metadata.uid && r.controller) ?? false,
    });
    const hash = podTemplateHash(d.spec?.template);
    const wantTemplate = canonicalJson(d.spec?.template ?? {});
    let newRS =
      all.find((rs) => rs.metadata.name === `${d.metadata.name ?? ''}-${hash}`) ??
      all.find((rs) => canonicalJson(templateWithoutHash(rs)) === wantTemplate);
    const old = all.filter((rs) => rs !== newRS);
    if (d.spec?.paused) {
      // No rollout while paused, but `kubectl scale` still works on the settled ReplicaSet.
      const active = all.filter((rs) => replicasOf(rs) > 0);
      const only = active.length === 1 ? active[0] : undefined;
      const desired = d.spec.replicas ?? 1;
      if (only && replicasOf(only) !== desired) await this.scale(d, only, desired);
      await this.writeStatus(d, newRS, all);
      return;
    }
    const maxOld = old.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
    const revision = String(maxOld + 1);
    if (!newRS) {
      newRS = await this.createReplicaSet(d, hash, revision, old);
      all.push(newRS);
    } else if (
      revisionOf(newRS) <= maxOld ||
      newRS.metadata.annotations?.[DESIRED] !== String(d.spec?.replicas ?? 1)
    ) {
      const annotations = this.rsAnnotations(
        d,
        revisionOf(newRS) <= maxOld ? revision : String(revisionOf(newRS)),
      );
      await this.patchRS(newRS, { metadata: { annotations } });
    }
    const current =
      newRS.metadata.annotations?.[REVISION] && revisionOf(newRS) > maxOld
        ? String(revisionOf(newRS))
        : revision;
    if (d.metadata.annotations?.[REVISION] !== current) {
      await this.ctx.client.patch(
        'deployments',
        d.metadata.name ?? '',
        { metadata: { annotations: { [REVISION]: current } } },
        { namespace: ns },
      );
    }
    if (d.spec?.strategy?.type === 'Recreate') await this.recreate(d, newRS, old);
    else await this.rolling(d, newRS, old);
    await this.cleanup(d, old);
    await this.writeStatus(d, newRS, all);
  }

  private rsAnnotations(d: D, revision: string): Record<string, string> {
    const desired = d.spec?.replicas ?? 1;
    const surge = d.spec?.strategy?.type === 'Recreate' ? 0 : fenceposts(d).maxSurge;
    const copied = Object.fromEntries(
      Object.entries(d.metadata.annotations ?? {}).filter(([k]) => !NOT_COPIED.has(k)),
    );
    return { ...copied, [REVISION]: revision, [DESIRED]: String(desired), [MAX]: String(desired + surge) };
  }

  private async createReplicaSet(d: D, hash: string, revision: string, old: RS[]): Promise<RS> {
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [HASH]: hash } };
    const selector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [HASH]: hash };
    const desired = d.spec?.replicas ?? 1;
    const draft: RS = {
      metadata: { name: `${d.metadata.name ?? ''}-${hash}` },
      spec: { replicas: 0, selector, template },
    };
    const all = [draft, ...old];
    const replicas =
      d.spec?.strategy?.type === 'Recreate'
        ? old.some((rs) => replicasOf(rs) > 0 || (rs.status?.replicas ?? 0) > 0)
          ? 0
          : desired
        : newReplicaSetReplicas(d, draft, all);
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name ?? ''}-${hash}`,
        namespace: d.metadata.namespace ?? 'default',
        labels: { ...template.metadata.labels },
        annotations: this.rsAnnotations(d, revision),
        ownerReferences: [controllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    let created: RS;
    try {
      created = (await this.ctx.client.create('replicasets', rs, {
        fieldValidation: 'Ignore',
      })) as RS;
    } catch (err) {
      if (err instanceof StatusError && err.status === 409) {
        // Created by an earlier pass whose event has not arrived yet: use it.
        created = (await this.ctx.client.get('replicasets', rs.metadata.name, {
          namespace: rs.metadata.namespace,
        })) as RS;
        if (!created.metadata.ownerReferences?.some((r) => r.uid === d.metadata.uid)) throw err;
        return created;
      }
      throw err;
    }
    if (replicas > 0) this.scaledEvent(d, created, 0, replicas);
    return created;
  }

  private async rolling(d: D, newRS: RS, old: RS[]): Promise<void> {
    const all = [newRS, ...old];
    const desired = d.spec?.replicas ?? 1;
    // `kubectl scale` down with no rollout in progress: the one active ReplicaSet simply takes
    // the new count (Kubernetes' scale() for a single active ReplicaSet); the surge arithmetic
    // below only ever grows the new ReplicaSet.
    if (old.every((rs) => replicasOf(rs) === 0) && replicasOf(newRS) > desired) {
      await this.scale(d, newRS, desired);
      return;
    }
    const target = newReplicaSetReplicas(d, newRS, all);
    if (target !== replicasOf(newRS)) {
      await this.scale(d, newRS, target);
      return; // Wait for the new pods before taking old ones away.
    }
    const targets = oldReplicaSetsReplicas(
      d,
      newRS,
      old.filter((rs) => replicasOf(rs) > 0),
    );
    for (const rs of old) {
      const to = targets.get(rs.metadata.name ?? '');
      if (to !== undefined && to !== replicasOf(rs)) await this.scale(d, rs, to);
    }
  }

  private async recreate(d: D, newRS: RS, old: RS[]): Promise<void> {
    const active = old.filter((rs) => replicasOf(rs) > 0);
    for (const rs of active) await this.scale(d, rs, 0);
    if (active.length > 0) return;
    // Only when every old pod is gone does the new ReplicaSet get its replicas.
    if (old.some((rs) => (rs.status?.replicas ?? 0) > 0)) return;
    const desired = d.spec?.replicas ?? 1;
    if (replicasOf(newRS) !== desired) await this.scale(d, newRS, desired);
  }

  private async scale(d: D, rs: RS, to: number): Promise<void> {
    const from = replicasOf(rs);
    const annotations = {
      [DESIRED]: String(d.spec?.replicas ?? 1),
      [MAX]: String(
        (d.spec?.replicas ?? 1) + (d.spec?.strategy?.type === 'Recreate' ? 0 : fenceposts(d).maxSurge),
      ),
    };
    await this.patchRS(rs, { metadata: { annotations }, spec: { replicas: to } });
    this.scaledEvent(d, rs, from, to);
  }

  private scaledEvent(d: D, rs: RS, from: number, to: number): void {
    const verb = to > from ? 'up' : 'down';
    this.recorder.event(
      { ...d, apiVersion: 'apps/v1', kind: 'Deployment' },
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${verb} replica set ${rs.metadata.name ?? ''} to ${to} from ${from}`,
    );
  }

  private async patchRS(rs: RS, patch: unknown): Promise<void> {
    await this.ctx.client.patch('replicasets', rs.metadata.name ?? '', patch, {
      namespace: rs.metadata.namespace ?? '',
    });
  }

  private async cleanup(d: D, old: RS[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const empty = old
      .filter(
        (rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp,
      )
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of empty.slice(0, Math.max(0, empty.length - limit))) {
      try {
        await this.ctx.client.delete('replicasets', rs.metadata.name ?? '', {
          namespace: rs.metadata.namespace ?? '',
        });
      } catch (err) {
        if (!(err instanceof StatusError && err.status === 404)) throw err;
      }
    }
  }

  private async writeStatus(d: D, newRS: RS | undefined, all: RS[]): Promise<void> {
    const now = this.clock.now();
    const status = deploymentStatus(d, newRS, all, { now });
    const progressing = status.conditions?.find((c) => c.type === 'Progressing');
    if (progressing?.status === 'True' && progressing.reason !== 'NewReplicaSetAvailable') {
      // Look again when the progress deadline could pass.
      this.queue.addAfter(objectKey(d), ((d.spec?.progressDeadlineSeconds ?? 600) + 1) * 1000);
    }
    if (canonicalJson(status) === canonicalJson(d.status ?? {})) return;
    try {
      await this.ctx.client.patch(
        'deployments',
        d.metadata.name ?? '',
        { status },
        { namespace: d.metadata.namespace ?? '', subresource: 'status' },
      );
    } catch (err) {
      if (!(err instanceof StatusError && err.status === 404)) throw err;
    }
  }
}
