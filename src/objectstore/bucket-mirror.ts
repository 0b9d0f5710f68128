import { randomUUID } from 'node:crypto';
import type { Clock } from '../common/clock.js';
import type { KubeObject } from '../common/kube-object.js';
import { hasCode } from '../common/stratus-error.js';
import type { Store } from '../store/index.js';
import type { BucketInfo, ObjectStore } from './object-store.js';

/** Where Bucket objects live in the resource store. */
export const BUCKET_RESOURCE = 'buckets.storage.stratus.dev';

/**
 * Mirrors the object store's buckets into the resource store as `storage.stratus.dev/v1`
 * Bucket objects (owner, versioning, object count, bytes), so that `kubectl get buckets` and
 * `stratus get buckets` list them. The engine stays the source of truth; the mirror catches up
 * every `intervalMs` and whenever `syncOnce()` is called, and writes only what changed.
 */
export class BucketMirror {
  private readonly timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly engine: ObjectStore,
    private readonly store: Store,
    private readonly options: { clock: Clock; intervalMs?: number },
  ) {
    const interval = options.intervalMs ?? 5000;
    if (interval > 0) {
      this.timer = setInterval(() => {
        this.syncOnce().catch((err: unknown) => process.emitWarning(`bucket mirror: ${String(err)}`));
      }, interval);
      this.timer.unref();
    }
  }

  /** Brings the Bucket objects in line with the engine's buckets; one pass at a time. */
  syncOnce(): Promise<void> {
    this.running ??= this.sync().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sync(): Promise<void> {
    const buckets = await this.engine.listBuckets();
    const mirrored = new Map((await this.store.list(BUCKET_RESOURCE)).items.map((o) => [o.metadata.name, o]));
    for (const bucket of buckets) {
      const usage = await this.engine.bucketUsage(bucket.name).catch(() => undefined);
      if (!usage) continue; // deleted since the listing
      const desired = this.toObject(bucket, usage);
      const current = mirrored.get(bucket.name);
      mirrored.delete(bucket.name);
      if (!current) {
        await this.store.create(BUCKET_RESOURCE, desired).catch(ignore('STORE_ALREADY_EXISTS'));
      } else if (
        JSON.stringify([current['spec'], current['status']]) !==
        JSON.stringify([desired['spec'], desired['status']])
      ) {
        const next = { ...current, spec: desired['spec'], status: desired['status'] };
        await this.store.update(BUCKET_RESOURCE, next).catch(ignore('STORE_CONFLICT', 'STORE_NOT_FOUND'));
      }
    }
    for (const [name, gone] of mirrored) {
      if (!name) continue;
      await this.store
        .delete(BUCKET_RESOURCE, '', name, { expectedResourceVersion: gone.metadata.resourceVersion ?? '' })
        .catch(ignore('STORE_CONFLICT', 'STORE_NOT_FOUND'));
    }
  }

  private toObject(bucket: BucketInfo, usage: { objects: number; bytes: number }): KubeObject {
    return {
      apiVersion: 'storage.stratus.dev/v1',
      kind: 'Bucket',
      metadata: {
        name: bucket.name,
        uid: randomUUID(),
        generation: 1,
        creationTimestamp: bucket.created.toISOString().replace(/\.\d+Z$/, 'Z'),
      },
      spec: {
        owner: bucket.owner,
        ...(bucket.versioning === 'Off' ? {} : { versioning: bucket.versioning }),
      },
      status: usage,
    };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

function ignore(...codes: string[]): (err: unknown) => void {
  return (err) => {
    if (!codes.some((c) => hasCode(err, c))) throw err;
  };
}
