import type { PartInfo } from '../object-store.js';
import {
  type Handler,
  type S3Context,
  checkKey,
  header,
  isoDate,
  requireBucket,
  requireKey,
  xmlReply,
} from './context.js';
import { resolveCopySource } from './copy-handler.js';
import { ObjectStoreError } from '../errors.js';
import { canonicalId } from './owner-id.js';
import { encoder, parseMaxKeys } from './list-handlers.js';
import { contentMd5, putOptionsFrom, putResponseHeaders } from './object-handlers.js';
import { resolveCopyRange } from './range.js';
import type { S3Operation } from './routes.js';
import { children, childText, parseXml, xmlDocument, type XmlNode } from './xml.js';

function uploadId(ctx: S3Context): string {
  const id = ctx.query.get('uploadId');
  if (id === undefined || id === '')
    throw new ObjectStoreError('InvalidArgument', 'The uploadId query parameter is required', {
      ArgumentName: 'uploadId',
    });
  return id;
}

function partNumber(ctx: S3Context): number {
  const raw = ctx.query.get('partNumber') ?? '';
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 10000)) {
    throw new ObjectStoreError(
      'InvalidArgument',
      `Part number must be an integer between 1 and 10000, inclusive, not ${JSON.stringify(raw)}`,
      { ArgumentName: 'partNumber' },
    );
  }
  return n;
}

function person(id: string, name: string): XmlNode {
  return [
    name,
    [
      ['ID', canonicalId(id)],
      ['DisplayName', id],
    ],
  ];
}

const createMultipartUpload: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  checkKey(key);
  const { uploadId: id } = await ctx.store.createMultipartUpload(bucket, key, putOptionsFrom(ctx));
  return xmlReply(
    xmlDocument('InitiateMultipartUploadResult', [
      ['Bucket', bucket],
      ['Key', key],
      ['UploadId', id],
    ]),
  );
};

const uploadPart: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const n = partNumber(ctx);
  const id = uploadId(ctx);
  if (ctx.size !== undefined && ctx.size > 5 * 1024 ** 3)
    throw new ObjectStoreError('EntityTooLarge', `A part of ${ctx.size} bytes exceeds the 5 GiB limit`);
  const options: { size?: number; contentMd5?: string; checksum?: NonNullable<S3Context['checksum']> } = {};
  if (ctx.size !== undefined) options.size = ctx.size;
  const md5 = contentMd5(ctx);
  if (md5 !== undefined) options.contentMd5 = md5;
  if (ctx.checksum !== undefined) options.checksum = ctx.checksum;
  const part = await ctx.store.uploadPart(bucket, key, id, n, ctx.body(), options);
  return { status: 200, headers: putResponseHeaders(part, ctx) };
};

const uploadPartCopy: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const n = partNumber(ctx);
  const id = uploadId(ctx);
  const { source, info } = await resolveCopySource(ctx);
  const rangeHeader = header(ctx, 'x-amz-copy-source-range');
  const range = rangeHeader === undefined ? undefined : resolveCopyRange(rangeHeader, info.size);
  const { body } = await ctx.store.getObject(source.bucket, source.key, {
    versionId: info.versionId,
    ...(range === undefined ? {} : { range }),
  });
  const size = range === undefined ? info.size : range.end - range.start + 1;
  // Destroyed after the write, which may fail before reading it (no such upload…).
  const part = await ctx.store.uploadPart(bucket, key, id, n, body, { size }).finally(() => body.destroy());
  const h: Record<string, string> = {};
  if (info.versionId !== 'null') h['x-amz-copy-source-version-id'] = info.versionId;
  return xmlReply(
    xmlDocument('CopyPartResult', [
      ['LastModified', isoDate(part.lastModified)],
      ['ETag', part.etag],
    ]),
    200,
    h,
  );
};

const completeMultipartUpload: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const id = uploadId(ctx);
  const root = parseXml((await ctx.readBody(2 * 1024 * 1024)).toString('utf8'));
  if (root.name !== 'CompleteMultipartUpload')
    throw new ObjectStoreError('MalformedXML', 'The root element must be CompleteMultipartUpload');
  const parts = children(root, 'Part').map((p) => {
    const num = Number(childText(p, 'PartNumber')?.trim() ?? 'NaN');
    const etag = childText(p, 'ETag')?.trim();
    if (!Number.isInteger(num) || etag === undefined)
      throw new ObjectStoreError('MalformedXML', 'Every Part needs a PartNumber and an ETag');
    return { partNumber: num, etag: etag.startsWith('"') ? etag : `"${etag}"` };
  });
  if (parts.length === 0) throw new ObjectStoreError('MalformedXML', 'You must specify at least one part');
  const info = await ctx.store.completeMultipartUpload(bucket, key, id, parts);
  const h: Record<string, string> = {};
  if (info.versionId !== 'null') h['x-amz-version-id'] = info.versionId;
  return xmlReply(
    xmlDocument('CompleteMultipartUploadResult', [
      ['Location', `/${bucket}/${key}`],
      ['Bucket', bucket],
      ['Key', key],
      ['ETag', info.etag],
    ]),
    200,
    h,
  );
};

const abortMultipartUpload: Handler = async (ctx) => {
  await ctx.store.abortMultipartUpload(requireBucket(ctx), requireKey(ctx), uploadId(ctx));
  return { status: 204 };
};

const listParts: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const id = uploadId(ctx);
  const maxParts = parseMaxKeys(ctx.query.get('max-parts'), 'max-parts');
  const markerRaw = ctx.query.get('part-number-marker');
  const marker =
    markerRaw === undefined || markerRaw === ''
      ? undefined
      : parseMaxKeys(markerRaw, 'part-number-marker', 10000);
  const r = await ctx.store.listParts(bucket, key, id, {
    maxParts: Math.max(1, maxParts),
    ...(marker === undefined ? {} : { partNumberMarker: marker }),
  });
  return xmlReply(
    xmlDocument('ListPartsResult', [
      ['Bucket', bucket],
      ['Key', key],
      ['UploadId', id],
      person(r.upload.owner, 'Initiator'),
      person(r.upload.owner, 'Owner'),
      ['StorageClass', 'STANDARD'],
      ['PartNumberMarker', marker ?? 0],
      ['NextPartNumberMarker', r.nextPartNumberMarker],
      ['MaxParts', maxParts],
      ['IsTruncated', r.isTruncated],
      ...r.parts.map((p: PartInfo): XmlNode => [
        'Part',
        [
          ['PartNumber', p.partNumber],
          ['LastModified', isoDate(p.lastModified)],
          ['ETag', p.etag],
          ['Size', p.size],
        ],
      ]),
    ]),
  );
};

const listMultipartUploads: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const { encode, encodingType } = encoder(ctx);
  const maxUploads = parseMaxKeys(ctx.query.get('max-uploads'), 'max-uploads');
  const prefix = ctx.query.get('prefix');
  const keyMarker = ctx.query.get('key-marker');
  const uploadIdMarker = ctx.query.get('upload-id-marker');
  const r = await ctx.store.listMultipartUploads(bucket, {
    maxUploads: Math.max(1, maxUploads),
    ...(prefix !== undefined && prefix !== '' ? { prefix } : {}),
    ...(keyMarker !== undefined && keyMarker !== '' ? { keyMarker } : {}),
    ...(uploadIdMarker !== undefined && uploadIdMarker !== '' ? { uploadIdMarker } : {}),
  });
  return xmlReply(
    xmlDocument('ListMultipartUploadsResult', [
      ['Bucket', bucket],
      ['KeyMarker', encode(keyMarker ?? '')],
      ['UploadIdMarker', uploadIdMarker ?? ''],
      ['NextKeyMarker', encode(r.nextKeyMarker)],
      ['NextUploadIdMarker', r.nextUploadIdMarker],
      ['Prefix', encode(prefix ?? '')],
      ['EncodingType', encodingType],
      ['MaxUploads', maxUploads],
      ['IsTruncated', r.isTruncated],
      ...r.uploads.map((u): XmlNode => [
        'Upload',
        [
          ['Key', encode(u.key)],
          ['UploadId', u.uploadId],
          person(u.owner, 'Initiator'),
          person(u.owner, 'Owner'),
          ['StorageClass', 'STANDARD'],
          ['Initiated', isoDate(u.initiated)],
        ],
      ]),
    ]),
  );
};

/** The multipart upload operations. */
export const multipartHandlers: Partial<Record<S3Operation, Handler>> = {
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  ListMultipartUploads: listMultipartUploads,
};
