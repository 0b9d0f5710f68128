import { ObjectStoreError } from '../errors.js';

/** The S3 operations the gateway serves. */
export type S3Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'DeleteBucket'
  | 'HeadBucket'
  | 'GetBucketLocation'
  | 'GetBucketVersioning'
  | 'PutBucketVersioning'
  | 'GetBucketCors'
  | 'PutBucketCors'
  | 'DeleteBucketCors'
  | 'GetBucketLifecycleConfiguration'
  | 'PutBucketLifecycleConfiguration'
  | 'DeleteBucketLifecycle'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'ListObjectVersions'
  | 'ListMultipartUploads'
  | 'DeleteObjects'
  | 'PostObject'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'GetObjectAttributes'
  | 'DeleteObject'
  | 'GetObjectTagging'
  | 'PutObjectTagging'
  | 'DeleteObjectTagging'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'GetBucketAcl'
  | 'PutBucketAcl'
  | 'GetObjectAcl'
  | 'PutObjectAcl'
  | 'GetBucketPolicy'
  | 'PutBucketPolicy'
  | 'DeleteBucketPolicy'
  | 'GetBucketPolicyStatus'
  | 'GetPublicAccessBlock'
  | 'PutPublicAccessBlock'
  | 'DeletePublicAccessBlock'
  | 'GetBucketOwnershipControls'
  | 'PutBucketOwnershipControls'
  | 'DeleteBucketOwnershipControls';

/** Where a request points: a bucket and key, either of which may be absent. */
export interface S3Address {
  bucket?: string;
  key?: string;
}

/** Base domains lowercased and longest first, computed once per list (the gateway passes one). */
const sortedDomains = new WeakMap<readonly string[], readonly string[]>();

function domainsOf(baseDomains: readonly string[]): readonly string[] {
  let sorted = sortedDomains.get(baseDomains);
  if (sorted === undefined) {
    sorted = baseDomains.map((d) => d.toLowerCase()).sort((a, b) => b.length - a.length);
    sortedDomains.set(baseDomains, sorted);
  }
  return sorted;
}

/**
 * Splits a request into bucket and key. Virtual-hosted style when the Host (port removed) is
 * `BUCKET.` + one of `baseDomains` (the longest matching domain wins, so `b.s3.localhost` is
 * bucket `b` under `s3.localhost`); otherwise path style, `/bucket/key`. `path` is decoded.
 */
export function resolveAddress(
  host: string | undefined,
  path: string,
  baseDomains: readonly string[],
): S3Address {
  const hostname = (host ?? '').replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
  const domains = domainsOf(baseDomains);
  if (domains.includes(hostname)) return pathStyle(path);
  for (const d of domains) {
    if (hostname.endsWith('.' + d) && hostname.length > d.length + 1) {
      const bucket = hostname.slice(0, hostname.length - d.length - 1);
      const key = path.replace(/^\//, '');
      return key === '' ? { bucket } : { bucket, key };
    }
  }
  return pathStyle(path);
}

function pathStyle(path: string): S3Address {
  if (!path.startsWith('/'))
    throw new ObjectStoreError(
      'InvalidURI',
      `The path ${JSON.stringify(path.slice(0, 100))} does not start with /`,
    );
  const rest = path.slice(1);
  if (rest === '') return {};
  const slash = rest.indexOf('/');
  if (slash < 0) return { bucket: rest };
  const bucket = rest.slice(0, slash);
  const key = rest.slice(slash + 1);
  if (bucket === '') throw new ObjectStoreError('InvalidURI', 'The path has an empty bucket name');
  return key === '' ? { bucket } : { bucket, key };
}

const BUCKET_SUBRESOURCES = new Set([
  'acl',
  'policy',
  'lifecycle',
  'website',
  'replication',
  'encryption',
  'logging',
  'notification',
  'tagging',
  'object-lock',
  'ownershipControls',
  'publicAccessBlock',
  'accelerate',
  'requestPayment',
  'analytics',
  'inventory',
  'metrics',
  'intelligent-tiering',
  'policyStatus',
]);
const OBJECT_SUBRESOURCES = new Set([
  'acl',
  'retention',
  'legal-hold',
  'torrent',
  'restore',
  'select',
  'attributes',
]);

/**
 * Names the operation of a request from its method, address and query, as S3 routes them
 * (subresources such as `?versioning`, `?uploads`, `?uploadId=`, `list-type=2`). Subresources the
 * gateway does not serve are `NotImplemented`; a method S3 does not allow is `MethodNotAllowed`.
 */
export function routeOperation(
  method: string,
  address: S3Address,
  query: ReadonlyMap<string, string>,
  copySource: boolean,
): S3Operation {
  const has = (name: string): boolean => query.has(name);
  const notImplemented = (what: string): ObjectStoreError =>
    new ObjectStoreError(
      'NotImplemented',
      `A header or query you provided implies functionality that is not implemented: ${what}`,
    );
  const notAllowed = (): ObjectStoreError =>
    new ObjectStoreError(
      'MethodNotAllowed',
      `The specified method ${method} is not allowed against this resource`,
    );
  if (address.bucket === undefined) {
    if (method === 'GET') return 'ListBuckets';
    throw notAllowed();
  }
  if (address.key === undefined) {
    switch (method) {
      case 'PUT':
        if (has('versioning')) return 'PutBucketVersioning';
        if (has('cors')) return 'PutBucketCors';
        if (has('lifecycle')) return 'PutBucketLifecycleConfiguration';
        if (has('acl')) return 'PutBucketAcl';
        if (has('policy')) return 'PutBucketPolicy';
        if (has('publicAccessBlock')) return 'PutPublicAccessBlock';
        if (has('ownershipControls')) return 'PutBucketOwnershipControls';
        break;
      case 'GET':
        if (has('location')) return 'GetBucketLocation';
        if (has('versioning')) return 'GetBucketVersioning';
        if (has('cors')) return 'GetBucketCors';
        if (has('lifecycle')) return 'GetBucketLifecycleConfiguration';
        if (has('acl')) return 'GetBucketAcl';
        if (has('policy')) return 'GetBucketPolicy';
        if (has('policyStatus')) return 'GetBucketPolicyStatus';
        if (has('publicAccessBlock')) return 'GetPublicAccessBlock';
        if (has('ownershipControls')) return 'GetBucketOwnershipControls';
        if (has('versions')) return 'ListObjectVersions';
        if (has('uploads')) return 'ListMultipartUploads';
        break;
      case 'DELETE':
        if (has('cors')) return 'DeleteBucketCors';
        if (has('lifecycle')) return 'DeleteBucketLifecycle';
        if (has('policy')) return 'DeleteBucketPolicy';
        if (has('publicAccessBlock')) return 'DeletePublicAccessBlock';
        if (has('ownershipControls')) return 'DeleteBucketOwnershipControls';
        break;
      case 'POST':
        if (has('delete')) return 'DeleteObjects';
        return 'PostObject';
      case 'HEAD':
        return 'HeadBucket';
      default:
        throw notAllowed();
    }
    const sub = [...query.keys()].find((k) => BUCKET_SUBRESOURCES.has(k));
    if (sub !== undefined) throw notImplemented(`?${sub}`);
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
  }
  if (has('attributes') && method === 'GET') return 'GetObjectAttributes';
  if (has('acl') && (method === 'GET' || method === 'PUT'))
    return method === 'GET' ? 'GetObjectAcl' : 'PutObjectAcl';
  const sub = [...query.keys()].find((k) => OBJECT_SUBRESOURCES.has(k));
  if (sub !== undefined) throw notImplemented(`?${sub}`);
  switch (method) {
    case 'PUT':
      if (has('tagging')) return 'PutObjectTagging';
      if (has('uploadId') || has('partNumber')) return copySource ? 'UploadPartCopy' : 'UploadPart';
      return copySource ? 'CopyObject' : 'PutObject';
    case 'GET':
      if (has('tagging')) return 'GetObjectTagging';
      if (has('uploadId')) return 'ListParts';
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      if (has('tagging')) return 'DeleteObjectTagging';
      if (has('uploadId')) return 'AbortMultipartUpload';
      return 'DeleteObject';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
      throw notAllowed();
    default:
      throw notAllowed();
  }
}
