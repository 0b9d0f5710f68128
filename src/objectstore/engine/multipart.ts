import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { EngineContext } from './context.js';
import { mergeRows, type ObjectRow, type PartRow, type UploadRow } from '../device/index.js';
import { validateKey } from './validation.js';
import { ObjectStoreError } from '../errors.js';
import type { Checksum, PartInfo, PutOptions, UploadInfo } from '../object-store.js';
import type { ManifestPart, StoredMeta } from './stored-meta.js';
import { timestampMs } from '../device/index.js';

/** S3's minimum size of every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

interface UploadRef {
  bucket: string;
  key: string;
  uploadId: string;
}

/** The data file name of a part. */
export function partName(uploadId: string, partNumber: number): string {
  return `p.${uploadId}.${partNumber}`;
}

/** Starts an upload: a row in the bucket index holding the options the object will get. */
export async function createUpload(
  ctx: EngineContext,
  bucket: string,
  key: string,
  options: PutOptions,
): Promise<{ uploadId: string }> {
  const b = await ctx.requireBucket(bucket);
  validateKey(key);
  const ts = ctx.stamps.next();
  const uploadId = `${ts.replace('.', '')}${randomBytes(8).toString('hex')}`;
  const meta = {
    headers: options.headers ?? {},
    metadata: options.metadata ?? {},
    ...(options.tags ? { tags: options.tags } : {}),
    ...(options.acl !== undefined ? { acl: options.acl } : {}),
  };
  const row: UploadRow = {
    uploadId,
    ts,
    deleted: 0,
    key,
    initiated: timestampMs(ts),
    owner: b.owner,
    meta: JSON.stringify(meta),
  };
  const bi = ctx.bucketIndex(bucket);
  await ctx.index.write(bi.loc, bi.name, 'uploads', [row]);
  return { uploadId };
}

/** Stores a part as a data file of its own in the object's hash folder, then records it. */
export async function uploadPart(
  ctx: EngineContext,
  ref: UploadRef & { partNumber: number },
  body: Readable,
  options: { size?: number; contentMd5?: string; checksum?: Checksum },
): Promise<PartInfo> {
  if (!Number.isInteger(ref.partNumber) || ref.partNumber < 1 || ref.partNumber > 10_000) {
    throw new ObjectStoreError(
      'InvalidArgument',
      `Part number must be an integer between 1 and 10000, got ${ref.partNumber}`,
    );
  }
  await requireUpload(ctx, ref);
  const ts = ctx.stamps.next();
  const put = await ctx.data.put(ctx.placement.object(ref.bucket, ref.key), body, {
    bucket: ref.bucket,
    key: ref.key,
    name: partName(ref.uploadId, ref.partNumber),
    ts,
    meta: '',
    ...(options.size !== undefined ? { size: options.size } : {}),
    ...(options.contentMd5 !== undefined ? { contentMd5: options.contentMd5 } : {}),
    ...(options.checksum ? { checksum: options.checksum } : {}),
  });
  const row: PartRow = {
    uploadId: ref.uploadId,
    partNumber: ref.partNumber,
    ts,
    deleted: 0,
    size: put.size,
    etag: `"${put.md5}"`,
    modified: timestampMs(ts),
    pts: ts,
    checksum: put.checksum ? JSON.stringify(put.checksum) : '',
  };
  const bi = ctx.bucketIndex(ref.bucket);
  await ctx.index.write(bi.loc, bi.name, 'parts', [row]);
  return partInfo(row);
}

/**
 * Checks a Complete request and builds the version row: a manifest of the listed parts, ETag the
 * MD5 of their binary MD5s plus `-N`. The caller commits it, then calls finishUpload.
 */
export async function completeUpload(
  ctx: EngineContext,
  ref: UploadRef,
  parts: Array<{ partNumber: number; etag: string }>,
): Promise<{ row: ObjectRow; previous: ObjectRow[] }> {
  const b = await ctx.requireBucket(ref.bucket);
  const upload = await requireUpload(ctx, ref);
  if (parts.length === 0)
    throw new ObjectStoreError('InvalidArgument', 'CompleteMultipartUpload needs at least one part');
  const stored = new Map((await partRows(ctx, ref)).map((p) => [p.partNumber, p]));
  const manifest: ManifestPart[] = [];
  const md5s: Buffer[] = [];
  let size = 0;
  parts.forEach((p, i) => {
    if (i > 0 && p.partNumber <= parts[i - 1]!.partNumber) {
      throw new ObjectStoreError(
        'InvalidPartOrder',
        `Part ${p.partNumber} is listed after part ${parts[i - 1]!.partNumber}; parts must be in ascending order`,
      );
    }
    const have = stored.get(p.partNumber);
    if (!have || have.etag.replace(/"/g, '') !== p.etag.replace(/"/g, '')) {
      throw new ObjectStoreError(
        'InvalidPart',
        `Part ${p.partNumber} with ETag ${p.etag} was not uploaded to upload ${ref.uploadId}`,
        {
          partNumber: p.partNumber,
        },
      );
    }
    manifest.push({ name: partName(ref.uploadId, p.partNumber), pts: have.pts, size: have.size });
    md5s.push(Buffer.from(have.etag.replace(/"/g, ''), 'hex'));
    size += have.size;
  });
  // Sizes are checked once every listed part is known to exist (InvalidPart wins over EntityTooSmall).
  manifest.forEach((have, i) => {
    const p = parts[i]!;
    if (i < parts.length - 1 && have.size < MIN_PART_SIZE) {
      throw new ObjectStoreError(
        'EntityTooSmall',
        `Part ${p.partNumber} is ${have.size} bytes; every part but the last must be at least 5 MiB`,
        {
          partNumber: p.partNumber,
        },
      );
    }
  });
  const previous = await ctx.versionRows(ref.bucket, ref.key);
  const ts = ctx.stamps.next();
  const vid = b.versioning === 'Enabled' ? ctx.newVersionId(ts) : 'null';
  const meta = { ...(JSON.parse(upload.meta) as StoredMeta), partsCount: parts.length, manifest };
  const etag = `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${parts.length}"`;
  const row: ObjectRow = {
    key: ref.key,
    vid,
    ts,
    deleted: 0,
    vts: ts,
    size,
    etag,
    modified: timestampMs(ts),
    dm: 0,
    meta: JSON.stringify(meta),
  };
  return { row, previous };
}

/** After Complete: forgets the upload and its parts, and drops the data of parts not used. */
export async function finishUpload(ctx: EngineContext, ref: UploadRef, row: ObjectRow): Promise<void> {
  const used = new Set(((JSON.parse(row.meta) as StoredMeta).manifest ?? []).map((p) => p.name));
  await forget(ctx, ref, used);
}

/** Abort: forgets the upload, its parts and their data. */
export async function abortUpload(ctx: EngineContext, ref: UploadRef): Promise<void> {
  await requireUpload(ctx, ref);
  await forget(ctx, ref, new Set());
}

/** ListParts, by part number. */
export async function listParts(
  ctx: EngineContext,
  ref: UploadRef,
  options: { maxParts?: number; partNumberMarker?: number },
): Promise<{ parts: PartInfo[]; isTruncated: boolean; nextPartNumberMarker?: number; upload: UploadInfo }> {
  const upload = await requireUpload(ctx, ref);
  const max = Math.min(Math.max(options.maxParts ?? 1000, 0), 1000);
  const rows = (await partRows(ctx, ref)).filter((p) => p.partNumber > (options.partNumberMarker ?? 0));
  const page = rows.slice(0, max);
  const out = {
    parts: page.map(partInfo),
    isTruncated: rows.length > max,
    upload: uploadInfo(ref.bucket, upload),
  };
  const last = page[page.length - 1];
  return last ? { ...out, nextPartNumberMarker: last.partNumber } : out;
}

/** ListMultipartUploads in key then upload id order. */
export async function listUploads(
  ctx: EngineContext,
  bucket: string,
  options: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; maxUploads?: number },
): Promise<{
  uploads: UploadInfo[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
}> {
  await ctx.requireBucket(bucket);
  const max = Math.min(Math.max(options.maxUploads ?? 1000, 0), 1000);
  const bi = ctx.bucketIndex(bucket);
  const idx = await ctx.index.repaired(bi.loc, bi.name);
  if (!idx) return { uploads: [], isTruncated: false };
  const marker = options.keyMarker;
  const rows = idx
    .uploads({
      ...(marker !== undefined ? { from: marker } : {}),
      ...(options.prefix ? { prefix: options.prefix } : {}),
      limit: 100_000,
    })
    .filter(
      (u) =>
        marker === undefined ||
        u.key > marker ||
        (u.key === marker && options.uploadIdMarker !== undefined && u.uploadId > options.uploadIdMarker),
    );
  const page = rows.slice(0, max);
  const last = page[page.length - 1];
  const out = { uploads: page.map((u) => uploadInfo(bucket, u)), isTruncated: rows.length > max };
  return last && out.isTruncated
    ? { ...out, nextKeyMarker: last.key, nextUploadIdMarker: last.uploadId }
    : out;
}

async function requireUpload(ctx: EngineContext, ref: UploadRef): Promise<UploadRow> {
  await ctx.requireBucket(ref.bucket);
  const bi = ctx.bucketIndex(ref.bucket);
  const sets = await ctx.index.query(bi.loc, bi.name, (idx) => {
    const u = idx.upload(ref.uploadId);
    return u ? [u] : [];
  });
  const row = mergeRows('uploads', sets)[0];
  if (!row || row.deleted || row.key !== ref.key) {
    throw new ObjectStoreError(
      'NoSuchUpload',
      `The upload "${ref.uploadId}" of "${ref.key}" does not exist`,
      { uploadId: ref.uploadId },
    );
  }
  return row;
}

async function partRows(ctx: EngineContext, ref: UploadRef): Promise<PartRow[]> {
  const bi = ctx.bucketIndex(ref.bucket);
  const rows = mergeRows('parts', await ctx.index.query(bi.loc, bi.name, (idx) => idx.parts(ref.uploadId)));
  return rows.filter((p) => !p.deleted).sort((a, b) => a.partNumber - b.partNumber);
}

async function forget(ctx: EngineContext, ref: UploadRef, keep: Set<string>): Promise<void> {
  const parts = await partRows(ctx, ref);
  const bi = ctx.bucketIndex(ref.bucket);
  const ts = ctx.stamps.next();
  const upload = await requireUpload(ctx, ref);
  await ctx.index.write(bi.loc, bi.name, 'uploads', [{ ...upload, ts, deleted: 1 }]);
  await ctx.index.write(
    bi.loc,
    bi.name,
    'parts',
    parts.map((p) => ({ ...p, ts, deleted: 1 })),
  );
  const loc = ctx.placement.object(ref.bucket, ref.key);
  for (const p of parts) {
    const name = partName(ref.uploadId, p.partNumber);
    if (keep.has(name)) continue;
    await ctx.data
      .remove(loc, { bucket: ref.bucket, key: ref.key, name, ts, size: 0, md5: '', meta: '' })
      .catch(() => undefined);
  }
}

function partInfo(row: PartRow): PartInfo {
  const info: PartInfo = {
    partNumber: row.partNumber,
    etag: row.etag,
    size: row.size,
    lastModified: new Date(row.modified),
  };
  if (row.checksum) info.checksum = JSON.parse(row.checksum) as Checksum;
  return info;
}

function uploadInfo(bucket: string, row: UploadRow): UploadInfo {
  return {
    bucket,
    key: row.key,
    uploadId: row.uploadId,
    initiated: new Date(row.initiated),
    owner: row.owner,
  };
}
