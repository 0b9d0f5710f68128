import type { KubeObject } from '../common/kube-object.js';
import { hasCode } from '../common/stratus-error.js';
import type { ResourceType } from '../resources/index.js';
import type { ApiDeps } from './api-context.js';

/** How long a background task (namespace or foreground deletion) keeps retrying before it gives up. */
const TASK_DEADLINE_MS = 10 * 60 * 1000;
const MAX_BACKOFF_MS = 2000;

/** Deletes one object with a propagation policy; the Deleter provides it. */
export type DeleteFn = (
  type: ResourceType,
  namespace: string,
  name: string,
  policy: 'Background' | 'Foreground' | 'Orphan',
) => Promise<unknown>;

/** A dependent of an owner, with its type. */
export interface Dependent {
  type: ResourceType;
  object: KubeObject;
}

/**
 * The in-process garbage collector of the API server: it deletes the dependents of deleted
 * owners (Background propagation), waits for dependents before releasing a Foreground owner,
 * and empties and then removes terminating namespaces. Tasks run in the background with a
 * bounded back-off; `close()` stops them. A later GC controller can take over the same work
 * from watches; everything here is idempotent, so running both does no harm.
 */
export class GarbageCollector {
  private readonly tasks = new Set<Promise<void>>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private closed = false;
  /** Errors of background tasks, kept for tests and diagnostics (most recent last, bounded). */
  readonly errors: unknown[] = [];

  constructor(
    private readonly deps: ApiDeps,
    private readonly deleteFn: DeleteFn,
  ) {}

  /** Every object whose ownerReferences name `uid`, in the owner's namespace (all for cluster-scoped owners). */
  async dependents(uid: string, namespace: string): Promise<Dependent[]> {
    const out: Dependent[] = [];
    const resources =
      namespace === ''
        ? [...this.deps.types.storageResources(true), ...this.deps.types.storageResources(false)]
        : this.deps.types.storageResources(true);
    for (const type of resources) {
      const listed = await this.deps.store.list(type.storageResource, namespace === '' ? {} : { namespace });
      for (const object of listed.items) {
        if (object.metadata.ownerReferences?.some((ref) => ref.uid === uid)) out.push({ type, object });
      }
    }
    return out;
  }

  /** After an owner is gone: delete its dependents (or drop the reference when they have other owners). */
  ownerDeleted(owner: KubeObject): void {
    const uid = owner.metadata.uid;
    if (uid === undefined) return;
    this.run(async () => {
      for (const dep of await this.dependents(uid, owner.metadata.namespace ?? '')) {
        await this.releaseOrDelete(dep, uid);
      }
    });
  }

  /** Foreground deletion: delete the dependents, wait until they are gone, then drop the owner's finalizer. */
  foreground(owner: KubeObject, release: () => Promise<void>): void {
    const uid = owner.metadata.uid;
    if (uid === undefined) return;
    const namespace = owner.metadata.namespace ?? '';
    this.run(async () => {
      await this.retry(async () => {
        const deps = await this.dependents(uid, namespace);
        for (const dep of deps) {
          if (dep.object.metadata.deletionTimestamp === undefined) await this.releaseOrDelete(dep, uid);
        }
        return deps.length === 0;
      });
      if (!this.closed) await release();
    });
  }

  /** Namespace deletion: delete everything in it, and remove it once empty. */
  namespaceTerminating(name: string, remove: () => Promise<void>): void {
    this.run(async () => {
      await this.retry(async () => {
        let remaining = 0;
        for (const type of this.deps.types.storageResources(true)) {
          const listed = await this.deps.store.list(type.storageResource, { namespace: name });
          remaining += listed.items.length;
          for (const object of listed.items) {
            if (object.metadata.deletionTimestamp !== undefined) continue;
            await this.ignoreGone(this.deleteFn(type, name, object.metadata.name ?? '', 'Background'));
          }
        }
        return remaining === 0;
      });
      if (!this.closed) await remove();
    });
  }

  /** Stops the background tasks and waits for them to end. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.timers.clear();
    await Promise.allSettled([...this.tasks]);
  }

  /** Resolves when every task started so far has ended (for tests). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  private async releaseOrDelete(dep: Dependent, ownerUid: string): Promise<void> {
    const refs = dep.object.metadata.ownerReferences ?? [];
    const others = refs.filter((r) => r.uid !== ownerUid);
    if (others.length > 0) {
      const updated: KubeObject = {
        ...dep.object,
        metadata: { ...dep.object.metadata, ownerReferences: others },
      };
      await this.ignoreGone(this.deps.store.update(dep.type.storageResource, updated));
      return;
    }
    await this.ignoreGone(
      this.deleteFn(
        dep.type,
        dep.object.metadata.namespace ?? '',
        dep.object.metadata.name ?? '',
        'Background',
      ),
    );
  }

  private async ignoreGone(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (
        !hasCode(err, 'STORE_NOT_FOUND') &&
        !hasCode(err, 'API_NOT_FOUND') &&
        !hasCode(err, 'STORE_CONFLICT')
      )
        throw err;
    }
  }

  private run(task: () => Promise<void>): void {
    if (this.closed) return;
    const p = task().catch((err: unknown) => {
      if (this.closed) return;
      this.errors.push(err);
      if (this.errors.length > 50) this.errors.shift();
    });
    this.tasks.add(p);
    void p.finally(() => this.tasks.delete(p));
  }

  /** Runs `attempt` until it returns true, with back-off, until closed or the deadline passes. */
  private async retry(attempt: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + TASK_DEADLINE_MS;
    let backoff = 50;
    while (!this.closed && Date.now() < deadline) {
      if (await attempt()) return;
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.timers.add(entry);
    });
  }
}
