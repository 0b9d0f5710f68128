import type { S3Context } from './context.js';
import { header } from './context.js';
import { parseCopySource } from './copy-handler.js';
import { ObjectStoreError } from '../errors.js';

/**
 * What the gateway asks of the cluster's ResourceQuotas (the server wires it to the API's quota
 * admission): which namespace a bucket owner's S3 usage counts in, a charge for a bucket about to
 * be created, and how many bytes a namespace may still store.
 */
export interface S3Quota {
  /** The namespace whose quotas `owner`'s buckets count in, or undefined (not counted). */
  namespaceOf(owner: string): string | undefined;
  /**
   * Charges one bucket to `namespace`: a refusal's message (Kubernetes' quota message), or a
   * `finish` told whether the bucket was made.
   */
  chargeBucket(
    namespace: string,
    bucket: string,
  ): Promise<{ ok: true; finish?: (stored: boolean) => void } | { ok: false; message: string }>;
  /**
   * The bytes `namespace` may still add to its buckets under `storage.stratus.dev/bucket-bytes`,
   * with the limit and what is used, or undefined when no quota limits them.
   */
  bytesLeft(namespace: string): Promise<{ left: bigint; used: bigint; hard: bigint } | undefined>;
}

/**
 * Checks an S3 request against the namespace's quotas before its handler runs, so that a refused
 * request changes nothing: CreateBucket is charged (TooManyBuckets, AWS's code for a bucket
 * limit, with Kubernetes' quota message), and writes that add bytes (PutObject, UploadPart,
 * CopyObject, UploadPartCopy) are refused with QuotaExceeded (Ceph RGW's code for its quotas)
 * when their size would take the namespace past `storage.stratus.dev/bucket-bytes`. Returns what
 * settles a bucket charge once the handler succeeded or failed.
 */
export async function admitQuota(
  quota: S3Quota | undefined,
  ctx: S3Context,
): Promise<((stored: boolean) => void) | undefined> {
  if (quota === undefined) return undefined;
  if (ctx.operation === 'CreateBucket') {
    const namespace = quota.namespaceOf(ctx.user);
    if (namespace === undefined || ctx.bucket === undefined) return undefined;
    const charged = await quota.chargeBucket(namespace, ctx.bucket);
    if (!charged.ok)
      throw new ObjectStoreError(
        'TooManyBuckets',
        `Cannot create bucket ${JSON.stringify(ctx.bucket)}: namespace ${JSON.stringify(namespace)}: ${charged.message}`,
        { BucketName: ctx.bucket },
      );
    return charged.finish;
  }
  if (!BYTE_WRITES.has(ctx.operation) || ctx.bucketInfo === undefined) return undefined;
  const namespace = quota.namespaceOf(ctx.bucketInfo.owner);
  if (namespace === undefined) return undefined;
  const room = await quota.bytesLeft(namespace);
  if (room === undefined) return undefined;
  const size = await incomingBytes(ctx);
  if (size === undefined)
    throw new ObjectStoreError(
      'MissingContentLength',
      `Namespace ${JSON.stringify(namespace)} has a storage.stratus.dev/bucket-bytes quota: the request must declare its length`,
    );
  if (BigInt(size) > room.left)
    throw new ObjectStoreError(
      'QuotaExceeded',
      `Cannot store ${size} bytes in bucket ${JSON.stringify(ctx.bucketInfo.name)}: exceeded quota of namespace ${JSON.stringify(namespace)}: requested: storage.stratus.dev/bucket-bytes=${size}, used: storage.stratus.dev/bucket-bytes=${room.used}, limited: storage.stratus.dev/bucket-bytes=${room.hard}`,
      { BucketName: ctx.bucketInfo.name },
    );
  return undefined;
}

const BYTE_WRITES = new Set([
  'PutObject',
  // A form's length bounds its file's.
  'PostObject',
  'UploadPart',
  'CopyObject',
  'UploadPartCopy',
  'CompleteMultipartUpload',
]);

/**
 * The bytes a write adds: its declared size, a copy source's size (all of it, for a range), or
 * the parts of an upload being completed (all of them: parts are not counted until then).
 */
async function incomingBytes(ctx: S3Context): Promise<number | undefined> {
  if (ctx.operation === 'CompleteMultipartUpload') return uploadedBytes(ctx);
  if (ctx.operation !== 'CopyObject' && ctx.operation !== 'UploadPartCopy') return ctx.size;
  const source = parseCopySource(header(ctx, 'x-amz-copy-source') ?? '');
  // Another user's source says nothing here (not even its size): the handler answers AccessDenied.
  if ((await ctx.store.getBucket(source.bucket))?.owner !== ctx.user) return 0;
  const info = await ctx.store
    .headObject(
      source.bucket,
      source.key,
      source.versionId === undefined ? {} : { versionId: source.versionId },
    )
    .catch(() => undefined);
  // A source that cannot be read fails in the handler with the right error; it adds nothing.
  return info?.size ?? 0;
}

/** The size of every part of the upload being completed (0 when it cannot be listed: the handler says why). */
async function uploadedBytes(ctx: S3Context): Promise<number> {
  const id = ctx.query.get('uploadId');
  if (ctx.bucket === undefined || ctx.key === undefined || id === undefined) return 0;
  let total = 0;
  let marker: number | undefined;
  // At most 10,000 parts (S3's limit), listed a thousand at a time.
  for (let page = 0; page < 10; page++) {
    const listed = await ctx.store
      .listParts(ctx.bucket, ctx.key, id, {
        maxParts: 1000,
        ...(marker !== undefined ? { partNumberMarker: marker } : {}),
      })
      .catch(() => undefined);
    if (listed === undefined) return total;
    for (const p of listed.parts) total += p.size;
    if (!listed.isTruncated || listed.nextPartNumberMarker === undefined) break;
    marker = listed.nextPartNumberMarker;
  }
  return total;
}
