import type { KubeObject, ObjectMeta } from '../common/kube-object.js';
import { queryBool } from '../common/query-bool.js';
import { hasCode } from '../common/stratus-error.js';
import type { ResourceType } from '../resources/index.js';
import { qualifiedResource, type ApiDeps } from './api-context.js';
import { retryOnConflict } from './conflict-retry.js';
import { ApiError, badRequest, conflict, forbidden, notFound } from './errors.js';
import { GarbageCollector } from './garbage-collector.js';
import { rfc3339 } from './object-meta.js';

/** Namespaces Kubernetes refuses to delete. */
const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** The parts of Kubernetes' DeleteOptions the server honours. */
export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  /** Seconds a bound pod gets to stop (`gracePeriodSeconds`); 0 deletes at once. */
  gracePeriodSeconds?: number;
}

/** The outcome of a delete: the object's last state and whether it is gone already. */
export interface DeleteResult {
  object: KubeObject;
  deleted: boolean;
}

/**
 * Kubernetes' delete semantics over the store: preconditions, finalizers (an object with
 * finalizers only gets `deletionTimestamp` and goes when the last one is removed), propagation
 * (`Orphan` strips owner references from dependents first; `Background` deletes the owner and
 * lets the garbage collector delete dependents; `Foreground` marks the owner with the
 * `foregroundDeletion` finalizer until its dependents are gone), and namespace termination.
 */
export class Deleter {
  readonly gc: GarbageCollector;

  constructor(private readonly deps: ApiDeps) {
    this.gc = new GarbageCollector(deps, (type, namespace, name, options) =>
      this.delete(type, namespace, name, options),
    );
  }

  /**
   * Deletes one object; see the class comment for the semantics. A write that loses a race with
   * another writer (an agent updating the pod's status) starts over from a fresh read, as
   * kube-apiserver does; a resourceVersion precondition that does not hold still ends in 409.
   */
  delete(
    type: ResourceType,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): Promise<DeleteResult> {
    return retryOnConflict('API_CONFLICT', () => this.deleteOnce(type, namespace, name, options));
  }

  private async deleteOnce(
    type: ResourceType,
    namespace: string,
    name: string,
    options: DeleteOptions,
  ): Promise<DeleteResult> {
    const details = { name, group: type.group, kind: type.plural };
    const old = await this.deps.store.get(type.storageResource, namespace, name);
    if (old === undefined) throw notFound(qualifiedResource(type), name, details);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== '' && pre.uid !== old.metadata.uid) {
      throw new ApiError(
        'API_CONFLICT',
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid ?? ''}`,
        details,
      );
    }
    if (
      pre?.resourceVersion !== undefined &&
      pre.resourceVersion !== '' &&
      pre.resourceVersion !== old.metadata.resourceVersion
    ) {
      throw conflict(qualifiedResource(type), name, details);
    }
    if (type.kind === 'Namespace') return this.deleteNamespace(type, old, options);
    const policy = options.propagationPolicy ?? 'Background';
    if (policy !== 'Background' && policy !== 'Foreground' && policy !== 'Orphan') {
      throw badRequest(
        `propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan"`,
      );
    }
    const grace = podGracePeriod(type, old, options);
    if (grace > 0) return this.deletePodGracefully(type, old, grace, options);
    if (options.dryRun) return { object: old, deleted: true };
    if (policy === 'Orphan') await this.orphanDependents(old);
    // The garbage collector sees the change through its watch: it releases a Foreground owner once
    // its dependents are gone and deletes the dependents of a deleted (Background) owner.
    const finalizers = [...(old.metadata.finalizers ?? [])];
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion'))
      finalizers.push('foregroundDeletion');
    if (finalizers.length > 0) {
      if (
        old.metadata.deletionTimestamp !== undefined &&
        finalizers.length === (old.metadata.finalizers ?? []).length
      ) {
        return { object: old, deleted: false };
      }
      const marked: KubeObject = {
        ...old,
        metadata: {
          ...old.metadata,
          finalizers,
          deletionTimestamp: old.metadata.deletionTimestamp ?? rfc3339(this.deps.clock.now()),
          deletionGracePeriodSeconds: 0,
        },
      };
      return { object: await this.writeGuarded(type, marked), deleted: false };
    }
    try {
      const gone = await this.deps.store.delete(type.storageResource, namespace, name, {
        expectedResourceVersion: old.metadata.resourceVersion ?? '',
      });
      return { object: gone, deleted: true };
    } catch (err) {
      if (hasCode(err, 'STORE_CONFLICT')) throw conflict(qualifiedResource(type), name, details);
      if (hasCode(err, 'STORE_NOT_FOUND')) throw notFound(qualifiedResource(type), name, details);
      throw err;
    }
  }

  /**
   * A pod bound to a node is not removed at once: it gets `deletionTimestamp` (now + grace) and
   * `deletionGracePeriodSeconds`, and its node's agent stops the containers and then deletes it
   * with grace 0. A second delete may shorten the grace, never lengthen it.
   */
  private async deletePodGracefully(
    type: ResourceType,
    old: KubeObject,
    grace: number,
    options: DeleteOptions,
  ): Promise<DeleteResult> {
    const current = old.metadata.deletionGracePeriodSeconds;
    if (old.metadata.deletionTimestamp !== undefined && current !== undefined && current <= grace) {
      return { object: old, deleted: false };
    }
    const marked: KubeObject = {
      ...old,
      metadata: {
        ...old.metadata,
        deletionTimestamp: rfc3339(this.deps.clock.now() + grace * 1000),
        deletionGracePeriodSeconds: grace,
      },
    };
    if (options.dryRun) return { object: marked, deleted: false };
    return { object: await this.writeGuarded(type, marked), deleted: false };
  }

  /** Starts the garbage collector, which resumes the work a previous run left (see its comment). */
  start(): Promise<void> {
    return this.gc.start();
  }

  /** Stops background work. */
  close(): Promise<void> {
    return this.gc.close();
  }

  private async deleteNamespace(
    type: ResourceType,
    old: KubeObject,
    options: DeleteOptions,
  ): Promise<DeleteResult> {
    const name = old.metadata.name ?? '';
    if (UNDELETABLE_NAMESPACES.has(name)) {
      throw forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`, {
        name,
        kind: 'namespaces',
      });
    }
    if (old.metadata.deletionTimestamp !== undefined) return { object: old, deleted: false };
    const marked: KubeObject = {
      ...old,
      metadata: {
        ...old.metadata,
        deletionTimestamp: rfc3339(this.deps.clock.now()),
        deletionGracePeriodSeconds: 0,
      },
      spec: { ...(old.spec as object | undefined), finalizers: ['kubernetes'] },
      status: { ...(old.status as object | undefined), phase: 'Terminating' },
    };
    if (options.dryRun) return { object: marked, deleted: false };
    return { object: await this.writeGuarded(type, marked), deleted: false };
  }

  /**
   * Orphan propagation: strips the owner's reference from its dependents before the owner goes,
   * so they are orphans when the DELETE returns (the graph is brought up to date first). A
   * dependent created while this runs loses the reference when the collector sees it
   * (`orphaning`), instead of being deleted.
   */
  private async orphanDependents(owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid;
    if (uid === undefined) return;
    this.gc.orphaning(uid);
    for (const dep of await this.gc.dependents(uid)) {
      const type = this.deps.types.byStorageResource(dep.resource);
      const current = await this.deps.store.get(dep.resource, dep.namespace, dep.name);
      if (type === undefined || current?.metadata.uid !== dep.uid) continue;
      const refs = (current.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      const metadata: ObjectMeta = { ...current.metadata, ownerReferences: refs };
      if (refs.length === 0) delete metadata.ownerReferences;
      await this.writeGuarded(type, { ...current, metadata });
    }
  }

  private async writeGuarded(type: ResourceType, object: KubeObject): Promise<KubeObject> {
    try {
      return await this.deps.store.update(type.storageResource, object);
    } catch (err) {
      const name = object.metadata.name ?? '';
      const details = { name, group: type.group, kind: type.plural };
      if (hasCode(err, 'STORE_CONFLICT')) throw conflict(qualifiedResource(type), name, details);
      if (hasCode(err, 'STORE_NOT_FOUND')) throw notFound(qualifiedResource(type), name, details);
      throw err;
    }
  }
}

/**
 * The grace period a delete gives a pod, as Kubernetes' CheckGracefulDelete: the request's
 * `gracePeriodSeconds`, else the pod's `terminationGracePeriodSeconds`, else 30; 0 for anything
 * that is not a pod, a pod bound to no node, or a pod that has finished.
 */
export function podGracePeriod(type: ResourceType, pod: KubeObject, options: DeleteOptions): number {
  if (type.kind !== 'Pod' || type.group !== '') return 0;
  const spec = (pod['spec'] ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = ((pod['status'] ?? {}) as { phase?: string }).phase;
  if (spec.nodeName === undefined || spec.nodeName === '' || phase === 'Succeeded' || phase === 'Failed')
    return 0;
  const grace = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, grace);
}

/** Reads DeleteOptions from a DELETE request's JSON body and query (the query wins). */
export function parseDeleteOptions(
  body: Record<string, unknown> | undefined,
  query: URLSearchParams,
): DeleteOptions {
  const options: DeleteOptions = {};
  const policy = query.get('propagationPolicy') ?? body?.propagationPolicy;
  if (typeof policy === 'string' && policy !== '') options.propagationPolicy = policy as PropagationPolicy;
  else if (body?.orphanDependents === true || queryBool(query, 'orphanDependents'))
    options.propagationPolicy = 'Orphan';
  const pre = body?.preconditions;
  if (typeof pre === 'object' && pre !== null) {
    const p = pre as Record<string, unknown>;
    options.preconditions = {};
    if (typeof p.uid === 'string') options.preconditions.uid = p.uid;
    if (typeof p.resourceVersion === 'string') options.preconditions.resourceVersion = p.resourceVersion;
  }
  const grace = query.get('gracePeriodSeconds') ?? body?.gracePeriodSeconds;
  if (grace !== undefined && grace !== null && grace !== '') {
    const n = Number(grace);
    if (!Number.isInteger(n)) {
      throw badRequest(`gracePeriodSeconds: Invalid value: ${JSON.stringify(grace)}: must be an integer`);
    }
    // Kubernetes treats a negative grace as 1 second (kubectl sends -1 for "the pod's default").
    if (n >= 0) options.gracePeriodSeconds = n;
  }
  const dryRun = query.getAll('dryRun');
  if (dryRun.includes('All') || (Array.isArray(body?.dryRun) && (body.dryRun as unknown[]).includes('All'))) {
    options.dryRun = true;
  }
  return options;
}
