import type { KubeClient } from '../../client/index.js';
import { StatusError } from '../../client/index.js';
import type { BucketInfo, ObjectStore } from '../object-store.js';

/** Where Bucket objects live in the resource store. */
export const BUCKET_RESOURCE = 'buckets.storage.stratus.dev';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Swallows what losing a race with another writer (or a deleted bucket) looks like. */
function ignoreRace(err: unknown): void {
  if (!(err instanceof StatusError && (err.status === 404 || err.status === 409))) throw err;
}

/**
 * Mirrors the object store's buckets into `storage.stratus.dev/v1` Bucket objects (owner,
 * versioning, object count, bytes) through the API, as the S3 gateway's own identity
 * (`system:stratus:s3-gateway`, which may write Buckets and nothing else of the cluster's), so
 * that `kubectl get buckets` lists them. The engine stays the source of truth; the mirror
 * catches up every `intervalMs` and whenever `syncOnce()` is called, and writes only what
 * changed.
 */
export class BucketMirror {
  private readonly timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly namespaceOf: (owner: string) => string | undefined;

  constructor(
    private readonly engine: ObjectStore,
    private readonly client: KubeClient,
    options: {
      intervalMs?: number;
      /** The namespace whose quotas count an owner's buckets (`spec.namespace`); none by default. */
      namespaceOf?: (owner: string) => string | undefined;
    } = {},
  ) {
    this.namespaceOf = options.namespaceOf ?? (() => undefined);
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
    const listed = await this.client.list(BUCKET_RESOURCE);
    const mirrored = new Map(listed.items.map((o) => [o.metadata.name, o]));
    for (const bucket of buckets) {
      const usage = await this.engine.bucketUsage(bucket.name).catch(() => undefined);
      if (!usage) continue; // deleted since the listing
      const spec = specOf(bucket, this.namespaceOf(bucket.owner));
      let current = mirrored.get(bucket.name);
      mirrored.delete(bucket.name);
      try {
        if (current === undefined) {
          current = await this.client.create(BUCKET_RESOURCE, {
            apiVersion: 'storage.stratus.dev/v1',
            kind: 'Bucket',
            metadata: { name: bucket.name },
            spec,
          });
        } else if (!same(current['spec'], spec)) {
          current = await this.client.update(BUCKET_RESOURCE, { ...current, spec });
        }
        if (!same(current['status'], usage))
          await this.client.patch(BUCKET_RESOURCE, bucket.name, { status: usage }, { subresource: 'status' });
      } catch (err) {
        ignoreRace(err);
      }
    }
    for (const [name, gone] of mirrored) {
      if (!name) continue;
      await this.client
        .request('DELETE', `/apis/storage.stratus.dev/v1/buckets/${name}`, {
          body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: gone.metadata.uid } },
        })
        .catch(ignoreRace);
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}

function specOf(bucket: BucketInfo, namespace: string | undefined): Record<string, unknown> {
  return {
    owner: bucket.owner,
    ...(namespace === undefined ? {} : { namespace }),
    ...(bucket.versioning === 'Off' ? {} : { versioning: bucket.versioning }),
  };
}
