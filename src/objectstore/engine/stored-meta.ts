import type { BucketRow, ObjectRow } from '../device/index.js';
import type {
  BucketInfo,
  Checksum,
  CorsRule,
  LifecycleRule,
  ObjectHeaders,
  ObjectInfo,
} from '../object-store.js';

/** One part of a multipart object's manifest: where its bytes live. */
export interface ManifestPart {
  /** The data file name in the object's hash folder: `p.<uploadId>.<partNumber>`. */
  name: string;
  pts: string;
  size: number;
}

/**
 * What the index keeps about a version besides size and ETag. A completed multipart object is a
 * manifest (Swift SLO style): its parts stay where they were uploaded and a GET streams them in
 * order, so completing an upload copies nothing.
 */
export interface StoredMeta {
  headers: ObjectHeaders;
  metadata: Record<string, string>;
  checksum?: Checksum;
  tags?: Record<string, string>;
  partsCount?: number;
  manifest?: ManifestPart[];
  /** The object's ACL as the gateway's JSON; absent for a private object of the bucket owner. */
  acl?: string;
}

/** Parses a row's meta JSON. */
export function parseMeta(json: string): StoredMeta {
  if (!json) return { headers: {}, metadata: {} };
  return JSON.parse(json) as StoredMeta;
}

/** The ObjectInfo of an index row. */
export function objectInfo(bucket: string, row: ObjectRow): ObjectInfo {
  const meta = parseMeta(row.meta);
  const info: ObjectInfo = {
    bucket,
    key: row.key,
    versionId: row.vid,
    size: row.size,
    etag: row.etag,
    lastModified: new Date(row.modified),
    headers: meta.headers,
    metadata: meta.metadata,
  };
  if (meta.checksum) info.checksum = meta.checksum;
  if (row.dm) info.isDeleteMarker = true;
  if (meta.partsCount !== undefined) info.partsCount = meta.partsCount;
  if (meta.acl !== undefined) info.acl = meta.acl;
  const tagCount = Object.keys(meta.tags ?? {}).length;
  if (tagCount > 0) {
    info.tagCount = tagCount;
    info.tags = meta.tags!;
  }
  return info;
}

/** The BucketInfo of an account index row. */
export function bucketInfo(row: BucketRow): BucketInfo {
  const info: BucketInfo = {
    name: row.name,
    owner: row.owner,
    created: new Date(row.created),
    version: row.ts,
    versioning: row.versioning === 'Enabled' || row.versioning === 'Suspended' ? row.versioning : 'Off',
  };
  if (row.cors) info.cors = JSON.parse(row.cors) as CorsRule[];
  if (row.access) info.access = row.access;
  if (row.lifecycle) info.lifecycle = JSON.parse(row.lifecycle) as LifecycleRule[];
  return info;
}

/** The newest live row of a key's rows (the current version), if any. */
export function latestOf(rows: ObjectRow[]): ObjectRow | undefined {
  let best: ObjectRow | undefined;
  for (const r of rows) if (!r.deleted && (!best || r.vts > best.vts)) best = r;
  return best;
}
