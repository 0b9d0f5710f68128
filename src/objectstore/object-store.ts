import type { Readable } from 'node:stream';

/**
 * The storage engine behind the S3 gateway: buckets, objects, versions and multipart uploads,
 * placed on devices by the ring. The gateway speaks HTTP, SigV4 and XML; this interface speaks
 * plain values and streams, so the engine is tested without HTTP and the gateway reads like S3.
 * Errors are `ObjectStoreError`s (objectstore/errors.ts) whose codes are the S3 error codes.
 */
export interface ObjectStore {
  /** `access`: the bucket's initial access settings (the gateway's JSON; '' or absent: private). */
  createBucket(name: string, owner: string, options?: { access?: string }): Promise<BucketInfo>;
  /** Fails with BucketNotEmpty while objects or versions remain; incomplete uploads are aborted. */
  deleteBucket(name: string): Promise<void>;
  getBucket(name: string): Promise<BucketInfo | undefined>;
  /** Every bucket, or those of one owner; sorted by name. */
  listBuckets(owner?: string): Promise<BucketInfo[]>;
  setVersioning(bucket: string, state: 'Enabled' | 'Suspended'): Promise<void>;
  setCors(bucket: string, rules: CorsRule[] | undefined): Promise<void>;
  /** Replaces the bucket's access settings (ACL, policy, public access block, ownership) as JSON. */
  setBucketAccess(bucket: string, access: string): Promise<void>;
  /** Replaces the bucket's lifecycle rules (validated by the caller); undefined or empty removes them. */
  setLifecycle(bucket: string, rules: LifecycleRule[] | undefined): Promise<void>;
  /** Object count and bytes of the current versions. */
  bucketUsage(bucket: string): Promise<{ objects: number; bytes: number }>;

  /**
   * Streams `body` to the object's replicas and commits it once a write quorum has it durably.
   * Verifies `contentMd5` and `checksum` when given (BadDigest / XAmzContentChecksumMismatch).
   * `ifNoneMatch: '*'` fails with PreconditionFailed when the key exists; `ifMatch` when its ETag differs.
   */
  putObject(bucket: string, key: string, body: Readable, options: PutOptions): Promise<ObjectInfo>;
  /** Reads an object (the current version unless versionId), verifying its MD5 while streaming. */
  getObject(bucket: string, key: string, options?: GetOptions): Promise<{ info: ObjectInfo; body: Readable }>;
  headObject(bucket: string, key: string, options?: { versionId?: string }): Promise<ObjectInfo>;
  /** Deletes a version, or writes a delete marker in a versioned bucket. */
  deleteObject(bucket: string, key: string, options?: { versionId?: string }): Promise<DeleteResult>;
  /** Server-side copy; metadata replaced when `metadata` is given (REPLACE directive). */
  copyObject(
    source: { bucket: string; key: string; versionId?: string },
    target: { bucket: string; key: string },
    options: CopyOptions,
  ): Promise<ObjectInfo>;
  listObjects(bucket: string, options: ListObjectsOptions): Promise<ListObjectsResult>;
  listObjectVersions(bucket: string, options: ListVersionsOptions): Promise<ListVersionsResult>;
  putTagging(bucket: string, key: string, tags: Record<string, string>, versionId?: string): Promise<void>;
  getTagging(bucket: string, key: string, versionId?: string): Promise<Record<string, string>>;
  /** Replaces a version's ACL (the gateway's JSON; undefined: private to the bucket owner). */
  putObjectAcl(bucket: string, key: string, acl: string | undefined, versionId?: string): Promise<void>;

  createMultipartUpload(bucket: string, key: string, options: PutOptions): Promise<{ uploadId: string }>;
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    options: { size?: number; contentMd5?: string; checksum?: Checksum },
  ): Promise<PartInfo>;
  /** Checks order (InvalidPartOrder), ETags (InvalidPart) and sizes (EntityTooSmall). */
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
  ): Promise<ObjectInfo>;
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  listParts(
    bucket: string,
    key: string,
    uploadId: string,
    options: { maxParts?: number; partNumberMarker?: number },
  ): Promise<{ parts: PartInfo[]; isTruncated: boolean; nextPartNumberMarker?: number; upload: UploadInfo }>;
  listMultipartUploads(
    bucket: string,
    options: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; maxUploads?: number },
  ): Promise<{
    uploads: UploadInfo[];
    isTruncated: boolean;
    nextKeyMarker?: string;
    nextUploadIdMarker?: string;
  }>;

  close(): Promise<void>;
}

export interface BucketInfo {
  name: string;
  owner: string;
  created: Date;
  versioning: 'Off' | 'Enabled' | 'Suspended';
  cors?: CorsRule[];
  /** The access settings as the gateway's JSON (absent: private, defaults). */
  access?: string;
  /** The lifecycle rules, when the bucket has a lifecycle configuration. */
  lifecycle?: LifecycleRule[];
  /** Changes whenever the bucket's row does: the key under which parsed settings are cached. */
  version: string;
}

/**
 * One rule of a bucket's lifecycle configuration, as S3's XML says it (validated: see
 * `s3/lifecycle-xml.ts`). Days count from the object's creation (or, for noncurrent versions,
 * from when a newer version replaced it), rounded up to the next midnight UTC.
 */
export interface LifecycleRule {
  id: string;
  enabled: boolean;
  filter: LifecycleFilter;
  /** Where the filter came from: `<Filter>` (the current form) or the legacy rule-level `<Prefix>`. */
  legacyPrefix?: boolean;
  expiration?: { days?: number; date?: string; expiredObjectDeleteMarker?: boolean };
  noncurrentVersionExpiration?: { noncurrentDays: number; newerNoncurrentVersions?: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/** Which objects a lifecycle rule applies to: every condition given must hold. */
export interface LifecycleFilter {
  prefix?: string;
  tags?: Array<{ key: string; value: string }>;
  /** Bytes; the object must be strictly larger. */
  sizeGreaterThan?: number;
  /** Bytes; the object must be strictly smaller. */
  sizeLessThan?: number;
  /** The filter used `<And>` (kept so GET returns the shape that was PUT). */
  and?: boolean;
}

export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

/** An S3 additional checksum: algorithm and base64 value. */
export interface Checksum {
  algorithm: 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
  value: string;
}

/** The headers S3 stores with an object and returns on GET/HEAD. */
export interface ObjectHeaders {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
}

export interface PutOptions {
  /** The decoded size, when known in advance. */
  size?: number;
  /** Base64 MD5 from Content-MD5. */
  contentMd5?: string;
  checksum?: Checksum;
  headers?: ObjectHeaders;
  /** x-amz-meta-* without the prefix, lowercase names. */
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  /** The new version's ACL as the gateway's JSON; absent: private to the bucket owner. */
  acl?: string;
  ifNoneMatch?: string;
  ifMatch?: string;
}

export interface GetOptions {
  versionId?: string;
  /** Inclusive byte range, already resolved against the size by the caller or open-ended. */
  range?: { start: number; end?: number } | { suffix: number };
}

export interface ObjectInfo {
  bucket: string;
  key: string;
  /** 'null' for objects written while versioning was off or suspended. */
  versionId: string;
  size: number;
  /** Quoted hex MD5, or `"md5-of-md5s-N"` for multipart objects. */
  etag: string;
  lastModified: Date;
  headers: ObjectHeaders;
  metadata: Record<string, string>;
  checksum?: Checksum;
  isDeleteMarker?: boolean;
  /** Parts count for multipart objects. */
  partsCount?: number;
  /** A multipart object's parts, by HeadObject only (GetObjectAttributes lists them). */
  parts?: Array<{ partNumber: number; size: number }>;
  tagCount?: number;
  /** The version's tags (absent: none); lifecycle filters read them. */
  tags?: Record<string, string>;
  /** The version's ACL as the gateway's JSON; absent: private to the bucket owner. */
  acl?: string;
}

export interface DeleteResult {
  versionId?: string;
  deleteMarker: boolean;
}

export interface CopyOptions {
  /** REPLACE directive: new metadata and headers; omitted means COPY. */
  metadata?: Record<string, string>;
  headers?: ObjectHeaders;
  /** The copy's ACL (the gateway's JSON); a copy never takes its source's ACL. */
  acl?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: Date;
  ifUnmodifiedSince?: Date;
}

export interface ListObjectsOptions {
  prefix?: string;
  delimiter?: string;
  /** Keys strictly after this one (start-after, marker or a decoded continuation token). */
  after?: string;
  /** 1–1000, default 1000. */
  maxKeys?: number;
}

/**
 * One object of a ListObjects page: what the listing answers, read from the index row alone. A
 * listing never parses a version's stored headers, metadata, tags or ACL (a HEAD has them).
 */
export interface ListedObject {
  key: string;
  size: number;
  /** Quoted hex MD5, or `"md5-of-md5s-N"` for multipart objects. */
  etag: string;
  lastModified: Date;
  /** The algorithm of the object's additional checksum, when it has one. */
  checksumAlgorithm?: string;
}

export interface ListObjectsResult {
  objects: ListedObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or prefix returned, for NextMarker / the continuation token. */
  nextAfter?: string;
}

export interface ListVersionsOptions {
  prefix?: string;
  delimiter?: string;
  keyMarker?: string;
  versionIdMarker?: string;
  maxKeys?: number;
}

export interface ListVersionsResult {
  /** Versions and delete markers, newest first within a key. */
  versions: Array<ObjectInfo & { isLatest: boolean }>;
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: Date;
  checksum?: Checksum;
}

export interface UploadInfo {
  bucket: string;
  key: string;
  uploadId: string;
  initiated: Date;
  owner: string;
}
