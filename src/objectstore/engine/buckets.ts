import type { EngineContext } from './context.js';
import { mergeRows, type BucketRow } from '../device/index.js';
import { ObjectStoreError } from '../errors.js';
import { abortUpload, listUploads } from './multipart.js';
import type { BucketInfo } from '../object-store.js';
import { bucketInfo } from './stored-meta.js';
import { timestampMs } from '../device/index.js';
import { validateBucketName } from './validation.js';

/**
 * Creates a bucket: its index replicas first, then its row in the account index, so that a
 * bucket that lists always has an index to write to.
 */
export async function createBucket(
  ctx: EngineContext,
  name: string,
  owner: string,
  access = '',
): Promise<BucketInfo> {
  validateBucketName(name);
  const existing = await ctx.bucketRow(name);
  if (existing && !existing.deleted) {
    if (existing.owner === owner) {
      throw new ObjectStoreError('BucketAlreadyOwnedByYou', `You already own bucket "${name}"`, {
        bucket: name,
      });
    }
    throw new ObjectStoreError('BucketAlreadyExists', `The bucket "${name}" already exists`, {
      bucket: name,
    });
  }
  const ts = ctx.stamps.next();
  const row: BucketRow = {
    name,
    ts,
    deleted: 0,
    owner,
    created: timestampMs(ts),
    versioning: 'Off',
    cors: '',
    access,
    lifecycle: '',
  };
  const bi = ctx.bucketIndex(name);
  await ctx.index.write(bi.loc, bi.name, 'objects', []);
  const { loc, name: db } = ctx.accountIndex();
  await ctx.index.write(loc, db, 'buckets', [row]);
  return bucketInfo(row);
}

/**
 * Deletes a bucket without versions or delete markers (else BucketNotEmpty). Its incomplete
 * multipart uploads go with it, as on AWS and RGW: an abandoned upload must not block cleanup.
 */
export async function deleteBucket(ctx: EngineContext, name: string): Promise<void> {
  const row = await ctx.requireBucket(name);
  const bi = ctx.bucketIndex(name);
  const idx = await ctx.index.repaired(bi.loc, bi.name);
  if (idx?.hasObjects()) {
    throw new ObjectStoreError('BucketNotEmpty', `The bucket "${name}" is not empty`, { bucket: name });
  }
  let page;
  do {
    page = await listUploads(ctx, name, {});
    for (const u of page.uploads) await abortUpload(ctx, { bucket: name, key: u.key, uploadId: u.uploadId });
  } while (page.isTruncated);
  const { loc, name: db } = ctx.accountIndex();
  await ctx.index.write(loc, db, 'buckets', [{ ...row, ts: ctx.stamps.next(), deleted: 1 }]);
}

/** Every live bucket (of one owner), sorted by name, merged across the account index replicas. */
export async function listBuckets(ctx: EngineContext, owner?: string): Promise<BucketInfo[]> {
  const { loc, name } = ctx.accountIndex();
  const rows = mergeRows('buckets', await ctx.index.query(loc, name, (idx) => idx.buckets()));
  return rows
    .filter((r) => !r.deleted && (owner === undefined || r.owner === owner))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(bucketInfo);
}

/**
 * Changes a bucket's versioning state, CORS rules, access settings or lifecycle rules (a new row,
 * last writer wins).
 */
export async function updateBucket(
  ctx: EngineContext,
  bucket: string,
  change: { versioning?: string; cors?: string; access?: string; lifecycle?: string },
): Promise<void> {
  const row = await ctx.requireBucket(bucket);
  const { loc, name } = ctx.accountIndex();
  await ctx.index.write(loc, name, 'buckets', [{ ...row, ...change, ts: ctx.stamps.next() }]);
}

/** Count and bytes of the current versions, from a repaired bucket index replica. */
export async function bucketUsage(
  ctx: EngineContext,
  bucket: string,
): Promise<{ objects: number; bytes: number }> {
  await ctx.requireBucket(bucket);
  const bi = ctx.bucketIndex(bucket);
  const idx = await ctx.index.repaired(bi.loc, bi.name);
  return idx ? idx.usage() : { objects: 0, bytes: 0 };
}
