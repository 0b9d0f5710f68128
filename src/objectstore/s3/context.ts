import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Clock } from '../../common/clock.js';
import type { BucketInfo, Checksum, ObjectHeaders, ObjectInfo, ObjectStore } from '../object-store.js';
import { ObjectStoreError } from '../errors.js';
import type { GranteeResolver } from './acl.js';
import type { ResolvedAccess } from './bucket-access.js';
import type { S3Operation } from './routes.js';

/** Everything a handler sees of one authenticated request. */
export interface S3Context {
  requestId: string;
  operation: S3Operation;
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  /** The bucket, looked up and owned by `user` (every operation but ListBuckets/CreateBucket). */
  bucketInfo: BucketInfo | undefined;
  /** First value of each query parameter, decoded. */
  query: ReadonlyMap<string, string>;
  headers: IncomingHttpHeaders;
  /** The requester's user name; '' for an anonymous request (`anonymous` true). */
  user: string;
  anonymous: boolean;
  /** The bucket's access settings (ACL, policy, BPA, ownership), when the request names a bucket that exists. */
  access: ResolvedAccess | undefined;
  /** Resolves grantees of ACLs (canonical ids, emails) to users. */
  grantees: GranteeResolver;
  /**
   * Checks the requester may read an object of another bucket (a copy source): AccessDenied
   * or NoSuchBucket otherwise.
   */
  authorizeRead(bucket: string, key: string, versionId: string | undefined): Promise<void>;
  /** What POST Object needs of the gateway (see post-object.ts). */
  post: PostSupport;
  region: string;
  store: ObjectStore;
  clock: Clock;
  /** The decoded, verified body (aws-chunked removed; hashes and checksums checked at its end). */
  body(): Readable;
  /** The decoded, verified body read whole, up to `limit` bytes (MaxMessageLengthExceeded beyond). */
  readBody(limit?: number): Promise<Buffer>;
  /** The object's size when the client declared it (decoded length for aws-chunked bodies). */
  size: number | undefined;
  /** The additional checksum the client sent as a header; trailer checksums are verified in the body. */
  checksum: Checksum | undefined;
}

/** The gateway's side of a POST Object form: who signed it, whether they may write, where objects are. */
export interface PostSupport {
  /** The user who signed the form's policy; undefined for an anonymous form. */
  authenticate(fields: ReadonlyMap<string, string>): Promise<string | undefined>;
  /**
   * Checks that `user` may put `key` in the request's bucket (AccessDenied otherwise), the form's
   * fields standing for the request headers that policy conditions read.
   */
  authorize(user: string | undefined, key: string, headers: IncomingHttpHeaders): Promise<void>;
  /** `http://host` or `https://host` as the client reached the gateway (objects' Location). */
  origin: string;
}

/** A handler's answer; the gateway adds request ids, CORS headers and strips HEAD bodies. */
export interface S3Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
}

/** A handler of one S3 operation. */
export type Handler = (ctx: S3Context) => Promise<S3Reply>;

/** A reply carrying an XML document. */
export function xmlReply(body: string, status = 200, headers: Record<string, string> = {}): S3Reply {
  return { status, headers: { 'content-type': 'application/xml', ...headers }, body };
}

/** A header's single value (the first when repeated). */
export function header(ctx: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The bucket name of a request that needs one. */
export function requireBucket(ctx: S3Context): string {
  if (ctx.bucket === undefined) throw new ObjectStoreError('InvalidRequest', 'This operation needs a bucket');
  return ctx.bucket;
}

/** The key of a request that needs one. */
export function requireKey(ctx: S3Context): string {
  if (ctx.key === undefined)
    throw new ObjectStoreError('InvalidRequest', 'This operation needs an object key');
  return ctx.key;
}

/** Reads the standard object headers and x-amz-meta-* from a request. */
export function objectHeadersFrom(headers: IncomingHttpHeaders): {
  headers: ObjectHeaders;
  metadata: Record<string, string>;
} {
  const one = (n: string): string | undefined => {
    const v = headers[n];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const h: ObjectHeaders = {};
  const contentType = one('content-type');
  if (contentType !== undefined) h.contentType = contentType;
  const encoding = one('content-encoding')
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked')
    .join(', ');
  if (encoding !== undefined && encoding !== '') h.contentEncoding = encoding;
  const disposition = one('content-disposition');
  if (disposition !== undefined) h.contentDisposition = disposition;
  const language = one('content-language');
  if (language !== undefined) h.contentLanguage = language;
  const cache = one('cache-control');
  if (cache !== undefined) h.cacheControl = cache;
  const expires = one('expires');
  if (expires !== undefined) h.expires = expires;
  const metadata: Record<string, string> = {};
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const v = Array.isArray(value) ? value.join(',') : value;
    metadata[name.slice('x-amz-meta-'.length)] = v;
    bytes += name.length - 11 + v.length;
  }
  if (bytes > 2048)
    throw new ObjectStoreError(
      'InvalidArgument',
      `Your metadata headers exceed the maximum allowed metadata size of 2 KB (${bytes} bytes)`,
    );
  return { headers: h, metadata };
}

/** RFC 7231 date for Last-Modified. */
export function httpDate(d: Date): string {
  return d.toUTCString();
}

/** ISO 8601 with milliseconds, as S3 writes timestamps in XML. */
export function isoDate(d: Date): string {
  return d.toISOString();
}

/** The response headers describing an object (GET/HEAD), with checksum only when asked for. */
export function objectResponseHeaders(info: ObjectInfo, withChecksum: boolean): Record<string, string> {
  const h: Record<string, string> = {
    etag: info.etag,
    'last-modified': httpDate(info.lastModified),
    'accept-ranges': 'bytes',
    'content-type': info.headers.contentType ?? 'binary/octet-stream',
  };
  if (info.versionId !== 'null') h['x-amz-version-id'] = info.versionId;
  if (info.headers.contentEncoding !== undefined) h['content-encoding'] = info.headers.contentEncoding;
  if (info.headers.contentDisposition !== undefined)
    h['content-disposition'] = info.headers.contentDisposition;
  if (info.headers.contentLanguage !== undefined) h['content-language'] = info.headers.contentLanguage;
  if (info.headers.cacheControl !== undefined) h['cache-control'] = info.headers.cacheControl;
  if (info.headers.expires !== undefined) h.expires = info.headers.expires;
  for (const [k, v] of Object.entries(info.metadata)) h[`x-amz-meta-${k}`] = v;
  if (info.partsCount !== undefined && info.partsCount > 0)
    h['x-amz-mp-parts-count'] = String(info.partsCount);
  if (info.tagCount !== undefined && info.tagCount > 0) h['x-amz-tagging-count'] = String(info.tagCount);
  if (withChecksum && info.checksum !== undefined) {
    h[`x-amz-checksum-${info.checksum.algorithm.toLowerCase()}`] = info.checksum.value;
    if (info.checksum.value.includes('-')) h['x-amz-checksum-type'] = 'COMPOSITE';
    else h['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  return h;
}

/** The byte length of a key in UTF-8; S3 allows 1,024. */
export function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > 1024) {
    throw new ObjectStoreError(
      'KeyTooLongError',
      `Your key is too long: ${Buffer.byteLength(key, 'utf8')} bytes, the maximum is 1024`,
      { Size: Buffer.byteLength(key, 'utf8'), MaxSizeAllowed: 1024 },
    );
  }
}

/** Parses `<Tagging><TagSet><Tag><Key/><Value/></Tag>…` or an `x-amz-tagging` query string into tags. */
export function parseTagQuery(value: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of value.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const dec = (s: string): string => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        throw new ObjectStoreError(
          'InvalidArgument',
          `The x-amz-tagging value ${JSON.stringify(value)} has a bad escape`,
        );
      }
    };
    const k = dec(eq < 0 ? part : part.slice(0, eq));
    tags[k] = dec(eq < 0 ? '' : part.slice(eq + 1));
  }
  validateTags(tags);
  return tags;
}

/** S3's tag limits: at most 10, keys up to 128 characters, values up to 256. */
export function validateTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length > 10)
    throw new ObjectStoreError(
      'InvalidArgument',
      `Object tags cannot be greater than 10 (got ${entries.length})`,
    );
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > 128)
      throw new ObjectStoreError(
        'InvalidArgument',
        `The TagKey ${JSON.stringify(k)} must be 1 to 128 characters`,
      );
    if (v.length > 256)
      throw new ObjectStoreError(
        'InvalidArgument',
        `The TagValue of ${JSON.stringify(k)} must be at most 256 characters`,
      );
  }
}
