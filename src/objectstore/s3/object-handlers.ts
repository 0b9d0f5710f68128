import type { GetOptions, ObjectInfo, PutOptions } from '../object-store.js';
import { evaluateConditions } from './conditions.js';
import {
  type Handler,
  type S3Context,
  type S3Reply,
  checkKey,
  header,
  objectHeadersFrom,
  objectResponseHeaders,
  parseTagQuery,
  requireBucket,
  requireKey,
} from './context.js';
import { ObjectStoreError } from '../errors.js';
import { addExpirationHeader } from './expiration-header.js';
import { newObjectAcl } from './request-acl.js';
import { resolveRange, type ByteRange } from './range.js';
import type { S3Operation } from './routes.js';

/** Validates Content-MD5 (base64 of 16 bytes), returning it; malformed is InvalidDigest. */
export function contentMd5(ctx: { headers: S3Context['headers'] }): string | undefined {
  const md5 = header(ctx, 'content-md5');
  if (md5 === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]{22}==$/.test(md5.trim()))
    throw new ObjectStoreError(
      'InvalidDigest',
      `The Content-MD5 you specified is not valid: ${JSON.stringify(md5.slice(0, 60))}`,
    );
  return md5.trim();
}

/** The put options common to PutObject and CreateMultipartUpload: headers, metadata, tags, conditions. */
export function putOptionsFrom(ctx: S3Context): PutOptions {
  const { headers, metadata } = objectHeadersFrom(ctx.headers);
  const options: PutOptions = { headers, metadata };
  const tagging = header(ctx, 'x-amz-tagging');
  if (tagging !== undefined) options.tags = parseTagQuery(tagging);
  const ifNoneMatch = header(ctx, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*')
      throw new ObjectStoreError('NotImplemented', 'Conditional writes support only If-None-Match: *');
    options.ifNoneMatch = '*';
  }
  const ifMatch = header(ctx, 'if-match');
  if (ifMatch !== undefined) options.ifMatch = ifMatch.trim();
  const acl = newObjectAcl(ctx);
  if (acl !== undefined) options.acl = acl;
  return options;
}

const putObject: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  checkKey(key);
  if (ctx.size !== undefined && ctx.size > 5 * 1024 ** 3) {
    throw new ObjectStoreError(
      'EntityTooLarge',
      `Your proposed upload of ${ctx.size} bytes exceeds the maximum allowed object size of 5 GiB`,
    );
  }
  const options = putOptionsFrom(ctx);
  const md5 = contentMd5(ctx);
  if (md5 !== undefined) options.contentMd5 = md5;
  if (ctx.size !== undefined) options.size = ctx.size;
  if (ctx.checksum !== undefined) options.checksum = ctx.checksum;
  const info = await ctx.store.putObject(bucket, key, ctx.body(), options);
  const headers = putResponseHeaders(info, ctx);
  addExpirationHeader(ctx, info, headers);
  return { status: 200, headers };
};

/** ETag, version id and the checksum the client sent, for PutObject and UploadPart replies. */
export function putResponseHeaders(
  info: { etag: string; versionId?: string; checksum?: ObjectInfo['checksum'] },
  ctx: S3Context,
): Record<string, string> {
  const h: Record<string, string> = { etag: info.etag };
  if (info.versionId !== undefined && info.versionId !== 'null') h['x-amz-version-id'] = info.versionId;
  const checksum = info.checksum ?? ctx.checksum;
  if (checksum !== undefined) h[`x-amz-checksum-${checksum.algorithm.toLowerCase()}`] = checksum.value;
  return h;
}

const OVERRIDES: ReadonlyArray<[string, string]> = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

interface Prepared {
  info: ObjectInfo;
  headers: Record<string, string>;
  status: number;
  range: ByteRange | undefined;
}

async function prepareRead(ctx: S3Context): Promise<Prepared | { notModified: Record<string, string> }> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  checkKey(key);
  const versionId = ctx.query.get('versionId');
  const info = await ctx.store.headObject(bucket, key, versionId === undefined ? {} : { versionId });
  const verdict = evaluateConditions(
    {
      ifMatch: header(ctx, 'if-match'),
      ifNoneMatch: header(ctx, 'if-none-match'),
      ifModifiedSince: header(ctx, 'if-modified-since'),
      ifUnmodifiedSince: header(ctx, 'if-unmodified-since'),
    },
    info,
  );
  if (verdict === 412)
    throw new ObjectStoreError(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      {
        Condition: 'If-Match',
      },
    );
  if (verdict === 304) {
    const h: Record<string, string> = { etag: info.etag, 'last-modified': info.lastModified.toUTCString() };
    if (info.versionId !== 'null') h['x-amz-version-id'] = info.versionId;
    return { notModified: h };
  }
  const range = resolveRange(header(ctx, 'range'), info.size);
  return { info, headers: readHeaders(ctx, info, range), status: range === undefined ? 200 : 206, range };
}

/** The headers of a GET/HEAD reply: the object's, `response-*` overrides, length and range. */
function readHeaders(ctx: S3Context, info: ObjectInfo, range: ByteRange | undefined): Record<string, string> {
  const withChecksum = header(ctx, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED' && range === undefined;
  const headers = objectResponseHeaders(info, withChecksum);
  addExpirationHeader(ctx, info, headers);
  for (const [param, name] of OVERRIDES) {
    const v = ctx.query.get(param);
    if (v === undefined) continue;
    // Control characters and code points above 0xff cannot go into a header.
    if (/[^\t\x20-\x7e\x80-\xff]/.test(v))
      throw new ObjectStoreError('InvalidArgument', `The ${param} value is not a valid header value`, {
        ArgumentName: param,
      });
    headers[name] = v;
  }
  if (range !== undefined) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${info.size}`;
    headers['content-length'] = String(range.end - range.start + 1);
  } else headers['content-length'] = String(info.size);
  return headers;
}

const CONDITIONS = ['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'range'];

/**
 * A plain GET (no Range, no conditions) resolves and opens the object in one engine call; the
 * others look the object up first, so that a 304/412 or a bad range never opens the body.
 */
async function plainGet(ctx: S3Context): Promise<S3Reply> {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  checkKey(key);
  const versionId = ctx.query.get('versionId');
  const { info, body } = await ctx.store.getObject(bucket, key, versionId === undefined ? {} : { versionId });
  try {
    return { status: 200, headers: readHeaders(ctx, info, undefined), body };
  } catch (err) {
    body.destroy();
    throw err;
  }
}

const getObject: Handler = async (ctx) => {
  if (CONDITIONS.every((name) => header(ctx, name) === undefined)) return plainGet(ctx);
  const prepared = await prepareRead(ctx);
  if ('notModified' in prepared) return { status: 304, headers: prepared.notModified };
  const options: GetOptions = {};
  if (prepared.info.versionId !== 'null' || ctx.query.has('versionId'))
    options.versionId = prepared.info.versionId;
  if (prepared.range !== undefined) options.range = prepared.range;
  const { info, body } = await ctx.store.getObject(prepared.info.bucket, prepared.info.key, options);
  if (info.etag !== prepared.info.etag) {
    body.destroy();
    throw new ObjectStoreError(
      'PreconditionFailed',
      'The object changed while it was being read; retry the request',
    );
  }
  return { status: prepared.status, headers: prepared.headers, body };
};

const headObject: Handler = async (ctx) => {
  const prepared = await prepareRead(ctx);
  if ('notModified' in prepared) return { status: 304, headers: prepared.notModified };
  return { status: prepared.status, headers: prepared.headers };
};

const deleteObject: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  checkKey(key);
  const versionId = ctx.query.get('versionId');
  const result = await ctx.store
    .deleteObject(bucket, key, versionId === undefined ? {} : { versionId })
    .catch((err: unknown) => {
      if (err instanceof Error && 'code' in err && (err.code === 'NoSuchKey' || err.code === 'NoSuchVersion'))
        return { deleteMarker: false };
      throw err;
    });
  const h: Record<string, string> = {};
  if ('versionId' in result && result.versionId !== undefined && result.versionId !== 'null')
    h['x-amz-version-id'] = result.versionId;
  if (result.deleteMarker) h['x-amz-delete-marker'] = 'true';
  return { status: 204, headers: h };
};

/** PutObject, GetObject, HeadObject and DeleteObject. */
export const objectHandlers: Partial<Record<S3Operation, Handler>> = {
  PutObject: putObject,
  GetObject: getObject,
  HeadObject: headObject,
  DeleteObject: deleteObject,
};
