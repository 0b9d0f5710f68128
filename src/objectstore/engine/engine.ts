import type { Readable } from 'node:stream';
import { BufferBody } from '../body/index.js';
import type { ObjectRow } from '../device/index.js';
import type { Location } from '../replication/index.js';
import { ObjectStoreError, isObjectStoreError } from '../errors.js';
import { resolveRange, type EngineContext } from './context.js';
import { DEFAULT_INLINE_MAX_BYTES, isInline, readInlineBody } from '../body/index.js';
import { loadInline, verifiedInline, type InlineLoadItem } from './inline-store.js';
import * as buckets from './buckets.js';
import { listObjects, listVersions } from './listing.js';
import * as multipart from './multipart.js';
import type {
  BucketInfo,
  Checksum,
  CopyOptions,
  CorsRule,
  DeleteResult,
  GetOptions,
  LifecycleRule,
  ListObjectsOptions,
  ListObjectsResult,
  ListVersionsOptions,
  ListVersionsResult,
  ObjectInfo,
  ObjectStore,
  PartInfo,
  PutOptions,
  UploadInfo,
} from '../object-store.js';
import { bucketInfo, latestOf, objectInfo, parseMeta, type StoredMeta } from './stored-meta.js';
import { timestampMs } from '../device/index.js';
import { checkPreconditions, versionRow } from './new-version.js';
import { etagMatches, validateKey } from './validation.js';

/** Options of the Engine. */
export interface EngineOptions {
  /** Objects of at most this many bytes (declared size) are stored inline; default 64 KiB, 0 never. */
  inlineMaxBytes?: number;
  /** Points where tests hold an operation to drive a race deterministically; none by default. */
  hooks?: EngineHooks;
}

/** Test seams between an operation's read and its write (see EngineOptions.hooks). */
export interface EngineHooks {
  /** Runs after a tagging write read the version it updates, before it writes the row back. */
  afterTagRead?: () => Promise<void>;
}

/**
 * The S3 operations of the engine over the replicated data and index layers. Every operation
 * is decided from the merged index rows (last-writer-wins), so it reads the same whichever
 * replicas answer; a write returns only after its data and index rows reached a quorum. Small
 * objects live inline in their index rows (see inline-object.ts), large ones in data files.
 */
export class Engine implements ObjectStore {
  private readonly inlineMax: number;
  private readonly hooks: EngineHooks;

  constructor(
    protected readonly ctx: EngineContext,
    options: EngineOptions = {},
  ) {
    this.inlineMax = options.inlineMaxBytes ?? DEFAULT_INLINE_MAX_BYTES;
    this.hooks = options.hooks ?? {};
  }

  createBucket(name: string, owner: string, options: { access?: string } = {}): Promise<BucketInfo> {
    return buckets.createBucket(this.ctx, name, owner, options.access);
  }

  deleteBucket(name: string): Promise<void> {
    return buckets.deleteBucket(this.ctx, name);
  }

  async getBucket(name: string): Promise<BucketInfo | undefined> {
    const row = await this.ctx.bucketRow(name);
    return row && !row.deleted ? bucketInfo(row) : undefined;
  }

  listBuckets(owner?: string): Promise<BucketInfo[]> {
    return buckets.listBuckets(this.ctx, owner);
  }

  setVersioning(bucket: string, state: 'Enabled' | 'Suspended'): Promise<void> {
    return buckets.updateBucket(this.ctx, bucket, { versioning: state });
  }

  setCors(bucket: string, rules: CorsRule[] | undefined): Promise<void> {
    return buckets.updateBucket(this.ctx, bucket, {
      cors: rules && rules.length > 0 ? JSON.stringify(rules) : '',
    });
  }

  setBucketAccess(bucket: string, access: string): Promise<void> {
    return buckets.updateBucket(this.ctx, bucket, { access });
  }

  setLifecycle(bucket: string, rules: LifecycleRule[] | undefined): Promise<void> {
    return buckets.updateBucket(this.ctx, bucket, {
      lifecycle: rules && rules.length > 0 ? JSON.stringify(rules) : '',
    });
  }

  bucketUsage(bucket: string): Promise<{ objects: number; bytes: number }> {
    return buckets.bucketUsage(this.ctx, bucket);
  }

  async putObject(bucket: string, key: string, body: Readable, options: PutOptions): Promise<ObjectInfo> {
    const b = await this.ctx.requireBucket(bucket);
    validateKey(key);
    const rows = await this.ctx.versionRows(bucket, key);
    checkPreconditions(key, latestOf(rows), options);
    const ts = this.ctx.stamps.next();
    const vid = b.versioning === 'Enabled' ? this.ctx.newVersionId(ts) : 'null';
    const meta: StoredMeta = { headers: options.headers ?? {}, metadata: options.metadata ?? {} };
    if (options.tags && Object.keys(options.tags).length > 0) meta.tags = options.tags;
    if (options.acl !== undefined) meta.acl = options.acl;
    let row: ObjectRow;
    // Where the body went as a data file (undefined when it is inline in the row).
    let fileAt: Location | undefined;
    if (options.size !== undefined && options.size <= this.inlineMax) {
      const small = await readInlineBody(body, {
        key,
        size: options.size,
        ...(options.contentMd5 !== undefined ? { contentMd5: options.contentMd5 } : {}),
        ...(options.checksum ? { checksum: options.checksum } : {}),
      });
      if (small.checksum) meta.checksum = small.checksum;
      row = versionRow(key, { vid, ts, size: small.data.length, md5: small.md5, meta });
      row.data = small.data;
    } else {
      fileAt = this.ctx.placement.object(bucket, key);
      const put = await this.ctx.data.put(fileAt, body, {
        bucket,
        key,
        name: vid,
        ts,
        meta: JSON.stringify(meta),
        // A new `null` version leaves the file it replaces until the index names the new one
        // (commitVersion drops it then): a write whose index update fails leaves the old object whole.
        keepOlder: vid === 'null',
        ...(options.size !== undefined ? { size: options.size } : {}),
        ...(options.contentMd5 !== undefined ? { contentMd5: options.contentMd5 } : {}),
        ...(options.checksum ? { checksum: options.checksum } : {}),
      });
      if (put.checksum) meta.checksum = put.checksum;
      row = versionRow(key, { vid, ts, size: put.size, md5: put.md5, meta });
    }
    try {
      await this.commitVersion(bucket, row, rows);
    } catch (err) {
      // No index replica took the row, so nothing names the new file: it goes. (A row written
      // to fewer replicas than the quorum may still surface in merged reads; its file stays.)
      if (fileAt !== undefined && isObjectStoreError(err) && err.details?.written === 0)
        await this.ctx.data.discard(fileAt, vid, ts);
      throw err;
    }
    return objectInfo(bucket, row);
  }

  async getObject(
    bucket: string,
    key: string,
    options: GetOptions = {},
  ): Promise<{ info: ObjectInfo; body: Readable }> {
    await this.ctx.requireBucket(bucket);
    const { row, body } = await this.openVersion(bucket, key, options.versionId, options.range);
    return { info: objectInfo(bucket, row), body };
  }

  async headObject(bucket: string, key: string, options: { versionId?: string } = {}): Promise<ObjectInfo> {
    await this.ctx.requireBucket(bucket);
    const row = await this.ctx.resolve(bucket, key, options.versionId);
    const info = objectInfo(bucket, row);
    if (info.partsCount === undefined) return info;
    const manifest = parseMeta(row.meta).manifest ?? [];
    // Part files are named `p.<uploadId>.<partNumber>` (multipart.ts partName).
    info.parts = manifest.map((p) => ({
      partNumber: Number(p.name.slice(p.name.lastIndexOf('.') + 1)),
      size: p.size,
    }));
    return info;
  }

  async deleteObject(
    bucket: string,
    key: string,
    options: { versionId?: string } = {},
  ): Promise<DeleteResult> {
    const b = await this.ctx.requireBucket(bucket);
    const rows = await this.ctx.versionRows(bucket, key);
    const bi = this.ctx.bucketIndex(bucket);
    if (options.versionId !== undefined || b.versioning === 'Off') {
      const vid = options.versionId ?? 'null';
      const row = rows.find((r) => r.vid === vid && !r.deleted);
      if (!row)
        return { ...(options.versionId !== undefined ? { versionId: vid } : {}), deleteMarker: false };
      // A deletion is an event of the version id in its own right: its `vts` is its own time, so
      // it orders against other writes of the id by when it was made, as a new version would.
      const ts = this.ctx.stamps.next();
      await this.ctx.index.write(bi.loc, bi.name, 'objects', [
        { ...row, ts, vts: ts, deleted: 1, data: null },
      ]);
      if (!isInline(row)) await this.ctx.dropData(bucket, row);
      return { ...(options.versionId !== undefined ? { versionId: vid } : {}), deleteMarker: row.dm === 1 };
    }
    const ts = this.ctx.stamps.next();
    const vid = b.versioning === 'Enabled' ? this.ctx.newVersionId(ts) : 'null';
    const marker: ObjectRow = {
      key,
      vid,
      ts,
      deleted: 0,
      vts: ts,
      size: 0,
      etag: '',
      modified: timestampMs(ts),
      dm: 1,
      meta: '',
    };
    await this.commitVersion(bucket, marker, rows);
    return { versionId: vid, deleteMarker: true };
  }

  async copyObject(
    source: { bucket: string; key: string; versionId?: string },
    target: { bucket: string; key: string },
    options: CopyOptions,
  ): Promise<ObjectInfo> {
    await this.ctx.requireBucket(source.bucket);
    const { row, body } = await this.openVersion(
      source.bucket,
      source.key,
      source.versionId,
      undefined,
      (r) => checkCopySource(source.key, objectInfo(source.bucket, r), options),
    );
    try {
      const meta = parseMeta(row.meta);
      const replace = options.metadata !== undefined;
      return await this.putObject(target.bucket, target.key, body, {
        size: row.size,
        headers: replace ? (options.headers ?? {}) : meta.headers,
        metadata: replace ? (options.metadata ?? {}) : meta.metadata,
        ...(meta.tags ? { tags: meta.tags } : {}),
        ...(options.acl !== undefined ? { acl: options.acl } : {}),
      });
    } finally {
      // A copy that failed before reading the source (no target bucket…) must still close it.
      body.destroy();
    }
  }

  async listObjects(bucket: string, options: ListObjectsOptions): Promise<ListObjectsResult> {
    await this.ctx.requireBucket(bucket);
    const bi = this.ctx.bucketIndex(bucket);
    const idx = await this.ctx.index.repaired(bi.loc, bi.name);
    return idx ? listObjects(idx, options) : { objects: [], commonPrefixes: [], isTruncated: false };
  }

  async listObjectVersions(bucket: string, options: ListVersionsOptions): Promise<ListVersionsResult> {
    await this.ctx.requireBucket(bucket);
    const bi = this.ctx.bucketIndex(bucket);
    const idx = await this.ctx.index.repaired(bi.loc, bi.name);
    return idx
      ? listVersions(bucket, idx, options)
      : { versions: [], commonPrefixes: [], isTruncated: false };
  }

  putTagging(bucket: string, key: string, tags: Record<string, string>, versionId?: string): Promise<void> {
    return this.updateMeta(bucket, key, versionId, (meta) => {
      if (Object.keys(tags).length > 0) meta.tags = tags;
      else delete meta.tags;
    });
  }

  putObjectAcl(bucket: string, key: string, acl: string | undefined, versionId?: string): Promise<void> {
    return this.updateMeta(bucket, key, versionId, (meta) => {
      if (acl !== undefined) meta.acl = acl;
      else delete meta.acl;
    });
  }

  /** Rewrites a version's row with changed metadata (tags, ACL), conditional on the row read. */
  private async updateMeta(
    bucket: string,
    key: string,
    versionId: string | undefined,
    change: (meta: StoredMeta) => void,
  ): Promise<void> {
    await this.ctx.requireBucket(bucket);
    const row = await this.ctx.resolve(bucket, key, versionId);
    const meta = parseMeta(row.meta);
    change(meta);
    const bi = this.ctx.bucketIndex(bucket);
    await this.hooks.afterTagRead?.();
    // Conditional on the version read: the row keeps its `vts`, and replicas order version rows
    // by `vts` before `ts` (index-rows.ts `replaces`), so if an overwrite or a deletion landed
    // since the read, this row loses to it on every replica (the tagging then happened before
    // the overwrite, which brought its own tags) instead of writing the replaced version back.
    await this.ctx.index.write(bi.loc, bi.name, 'objects', [
      { ...row, ts: this.ctx.stamps.next(), meta: JSON.stringify(meta) },
    ]);
  }

  async getTagging(bucket: string, key: string, versionId?: string): Promise<Record<string, string>> {
    await this.ctx.requireBucket(bucket);
    return parseMeta((await this.ctx.resolve(bucket, key, versionId)).meta).tags ?? {};
  }

  createMultipartUpload(bucket: string, key: string, options: PutOptions): Promise<{ uploadId: string }> {
    return multipart.createUpload(this.ctx, bucket, key, options);
  }

  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    options: { size?: number; contentMd5?: string; checksum?: Checksum },
  ): Promise<PartInfo> {
    return multipart.uploadPart(this.ctx, { bucket, key, uploadId, partNumber }, body, options);
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
  ): Promise<ObjectInfo> {
    const { row, previous } = await multipart.completeUpload(this.ctx, { bucket, key, uploadId }, parts);
    await this.commitVersion(bucket, row, previous);
    await multipart.finishUpload(this.ctx, { bucket, key, uploadId }, row);
    return objectInfo(bucket, row);
  }

  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return multipart.abortUpload(this.ctx, { bucket, key, uploadId });
  }

  listParts(
    bucket: string,
    key: string,
    uploadId: string,
    options: { maxParts?: number; partNumberMarker?: number },
  ): Promise<{ parts: PartInfo[]; isTruncated: boolean; nextPartNumberMarker?: number; upload: UploadInfo }> {
    return multipart.listParts(this.ctx, { bucket, key, uploadId }, options);
  }

  listMultipartUploads(
    bucket: string,
    options: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; maxUploads?: number },
  ): Promise<{
    uploads: UploadInfo[];
    isTruncated: boolean;
    nextKeyMarker?: string;
    nextUploadIdMarker?: string;
  }> {
    return multipart.listUploads(this.ctx, bucket, options);
  }

  /**
   * Bulk-loads new small objects in one index transaction per replica (see loadInline): for
   * imports and benchmarks that need many keys quickly. Returns how many were stored.
   */
  loadInlineObjects(bucket: string, items: readonly InlineLoadItem[]): Promise<number> {
    return loadInline(this.ctx, bucket, items);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Resolves a version and opens its body. When the data is gone because a write replaced it
   * after the row was read (an overwrite drops the old file once the index names the new one; a
   * delete leaves a tombstone), the version is resolved once more and what the index names now
   * is read: the reply never pairs one version's headers with another's bytes. `check` vets
   * each row before its body is opened (a copy's source conditions).
   */
  private async openVersion(
    bucket: string,
    key: string,
    versionId: string | undefined,
    range: GetOptions['range'],
    check: (row: ObjectRow) => void = () => undefined,
  ): Promise<{ row: ObjectRow; body: Readable }> {
    const row = await this.ctx.resolve(bucket, key, versionId);
    check(row);
    try {
      return { row, body: await this.readBody(bucket, row, range) };
    } catch (err) {
      if (!isObjectStoreError(err) || err.code !== 'InternalError') throw err;
      const now = await this.ctx.resolve(bucket, key, versionId);
      if (now.vid === row.vid && now.vts === row.vts) throw err;
      check(now);
      return { row: now, body: await this.readBody(bucket, now, range) };
    }
  }

  /** The body of a version: its verified inline bytes, or its data file(s) through the context. */
  private async readBody(bucket: string, row: ObjectRow, range: GetOptions['range']): Promise<Readable> {
    if (!isInline(row)) return this.ctx.body(bucket, row, range);
    const r = resolveRange(row.size, range);
    const data = await verifiedInline(this.ctx, bucket, row);
    return new BufferBody(r ? data.subarray(r.start, r.end + 1) : data);
  }

  /** Writes a new version row; a replaced `null` version that was a manifest drops its parts. */
  private async commitVersion(bucket: string, row: ObjectRow, previous: ObjectRow[]): Promise<void> {
    const bi = this.ctx.bucketIndex(bucket);
    await this.ctx.index.write(bi.loc, bi.name, 'objects', [row]);
    const old = previous.find((r) => r.vid === row.vid && !r.deleted && !r.dm);
    if (!old || row.vid !== 'null' || isInline(old)) return;
    // A replaced null version goes now that the index points past it (not before: a write whose
    // index update failed leaves the old object whole). A plain file replaced by a plain file
    // goes by name and time; a manifest's parts, or a file replaced by a manifest, an inline body
    // or a delete marker, by tombstones. An inline body went with its row.
    const replacedByFile = !row.dm && !parseMeta(row.meta).manifest && !isInline(row);
    if (parseMeta(old.meta).manifest || !replacedByFile) {
      await this.ctx.dropData(bucket, old).catch(() => undefined);
    } else {
      // Older than what the index names now, which a concurrent rewrite of the row (tagging) may
      // have kept at the replaced file. The PUT is committed: an index that cannot say leaves
      // the files for the next write rather than fail the reply.
      const rows = await this.ctx.versionRows(bucket, row.key).catch(() => undefined);
      const now = rows?.find((r) => r.vid === 'null' && !r.deleted);
      if (now === undefined) return;
      const vts = now.vts > row.vts ? row.vts : now.vts;
      await this.ctx.data.dropOlder(this.ctx.placement.object(bucket, row.key), 'null', vts);
    }
  }
}

/** Fails a copy whose source does not meet the x-amz-copy-source-if-* conditions. */
function checkCopySource(key: string, info: ObjectInfo, options: CopyOptions): void {
  const fail = (why: string): never => {
    throw new ObjectStoreError('PreconditionFailed', `Copy source "${key}" ${why}`, { key });
  };
  if (options.ifMatch !== undefined && !etagMatches(options.ifMatch, info.etag))
    fail('does not match If-Match');
  if (options.ifNoneMatch !== undefined && etagMatches(options.ifNoneMatch, info.etag))
    fail('matches If-None-Match');
  if (options.ifUnmodifiedSince && info.lastModified > options.ifUnmodifiedSince) fail('was modified since');
  if (options.ifModifiedSince && info.lastModified <= options.ifModifiedSince) fail('was not modified since');
}
