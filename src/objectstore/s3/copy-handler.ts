import type { CopyOptions, ObjectInfo } from '../object-store.js';
import { evaluateCopyConditions } from './conditions.js';
import {
  type Handler,
  type S3Context,
  checkKey,
  header,
  isoDate,
  objectHeadersFrom,
  parseTagQuery,
  requireBucket,
  requireKey,
  xmlReply,
} from './context.js';
import { ObjectStoreError } from '../errors.js';
import { newObjectAcl } from './request-acl.js';
import type { S3Operation } from './routes.js';
import { percentDecode } from './sigv4.js';
import { xmlDocument } from './xml.js';

/** A parsed x-amz-copy-source. */
export interface CopySource {
  bucket: string;
  key: string;
  versionId?: string;
}

/** Parses `x-amz-copy-source`: `[/]bucket/key[?versionId=ID]`, URL-encoded. */
export function parseCopySource(value: string): CopySource {
  const q = value.indexOf('?');
  const path = percentDecode(q < 0 ? value : value.slice(0, q)).replace(/^\//, '');
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw new ObjectStoreError(
      'InvalidArgument',
      `Invalid copy source ${JSON.stringify(value.slice(0, 200))}: it must be bucket/key`,
      { ArgumentName: 'x-amz-copy-source' },
    );
  }
  const source: CopySource = { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
  if (q >= 0) {
    const m = /(?:^|&)versionId=([^&]*)/.exec(value.slice(q + 1));
    if (m !== null && m[1] !== undefined && m[1] !== '') source.versionId = percentDecode(m[1]);
  }
  checkKey(source.key);
  return source;
}

/**
 * Resolves a copy source for CopyObject and UploadPartCopy: the caller must be allowed to read
 * it (owner, policy or ACL), and the x-amz-copy-source-if-* conditions must hold (412 otherwise).
 */
export async function resolveCopySource(ctx: S3Context): Promise<{ source: CopySource; info: ObjectInfo }> {
  const source = parseCopySource(header(ctx, 'x-amz-copy-source') ?? '');
  await ctx.authorizeRead(source.bucket, source.key, source.versionId);
  const info = await ctx.store.headObject(
    source.bucket,
    source.key,
    source.versionId === undefined ? {} : { versionId: source.versionId },
  );
  const verdict = evaluateCopyConditions(
    {
      ifMatch: header(ctx, 'x-amz-copy-source-if-match'),
      ifNoneMatch: header(ctx, 'x-amz-copy-source-if-none-match'),
      ifModifiedSince: header(ctx, 'x-amz-copy-source-if-modified-since'),
      ifUnmodifiedSince: header(ctx, 'x-amz-copy-source-if-unmodified-since'),
    },
    info,
  );
  if (verdict !== undefined)
    throw new ObjectStoreError(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      {
        Condition: 'x-amz-copy-source-If-*',
      },
    );
  return { source, info };
}

const copyObject: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  checkKey(key);
  const directive = (header(ctx, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new ObjectStoreError('InvalidArgument', `Unknown metadata directive ${JSON.stringify(directive)}`, {
      ArgumentName: 'x-amz-metadata-directive',
    });
  }
  const tagDirective = (header(ctx, 'x-amz-tagging-directive') ?? 'COPY').toUpperCase();
  const { source, info } = await resolveCopySource(ctx);
  if (
    source.bucket === bucket &&
    source.key === key &&
    source.versionId === undefined &&
    directive === 'COPY'
  ) {
    throw new ObjectStoreError(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const options: CopyOptions = {};
  const acl = newObjectAcl(ctx);
  if (acl !== undefined) options.acl = acl;
  if (directive === 'REPLACE') {
    const replaced = objectHeadersFrom(ctx.headers);
    options.metadata = replaced.metadata;
    options.headers = replaced.headers;
  }
  const copied = await ctx.store.copyObject(
    { bucket: source.bucket, key: source.key, versionId: info.versionId },
    { bucket, key },
    options,
  );
  if (tagDirective === 'REPLACE') {
    await ctx.store.putTagging(
      bucket,
      key,
      parseTagQuery(header(ctx, 'x-amz-tagging') ?? ''),
      copied.versionId === 'null' ? undefined : copied.versionId,
    );
  }
  const h: Record<string, string> = {};
  if (info.versionId !== 'null') h['x-amz-copy-source-version-id'] = info.versionId;
  if (copied.versionId !== 'null') h['x-amz-version-id'] = copied.versionId;
  return xmlReply(
    xmlDocument('CopyObjectResult', [
      ['LastModified', isoDate(copied.lastModified)],
      ['ETag', copied.etag],
    ]),
    200,
    h,
  );
};

/** CopyObject. */
export const copyHandlers: Partial<Record<S3Operation, Handler>> = { CopyObject: copyObject };
