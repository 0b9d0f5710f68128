import { type Handler, checkKey, header, httpDate, requireBucket, requireKey, xmlReply } from './context.js';
import { ObjectStoreError } from '../errors.js';
import type { Checksum } from '../object-store.js';
import { parseMaxKeys } from './list-handlers.js';
import type { S3Operation } from './routes.js';
import { xmlDocument, type XmlNode } from './xml.js';

/** The attributes `x-amz-object-attributes` may name. */
const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
type Attribute = (typeof ATTRIBUTES)[number];

function parseAttributes(value: string | undefined): Set<Attribute> {
  const names = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0)
    throw new ObjectStoreError(
      'InvalidArgument',
      'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty',
      { ArgumentName: 'x-amz-object-attributes' },
    );
  for (const n of names) {
    if (!(ATTRIBUTES as readonly string[]).includes(n))
      throw new ObjectStoreError(
        'InvalidArgument',
        `Invalid attribute name specified: ${JSON.stringify(n)}`,
        {
          ArgumentName: 'x-amz-object-attributes',
          ArgumentValue: n,
        },
      );
  }
  return new Set(names as Attribute[]);
}

function checksumXml(c: Checksum): XmlNode[] {
  return [
    [`Checksum${c.algorithm}`, c.value],
    ['ChecksumType', c.value.includes('-') ? 'COMPOSITE' : 'FULL_OBJECT'],
  ];
}

/**
 * GetObjectAttributes: the attributes `x-amz-object-attributes` names, of the current version
 * or `versionId`, without the body. ObjectParts pages by `x-amz-max-parts` and
 * `x-amz-part-number-marker` and is present only for multipart objects; the ETag is unquoted,
 * as AWS writes it here.
 */
const getObjectAttributes: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  checkKey(key);
  const wanted = parseAttributes(header(ctx, 'x-amz-object-attributes'));
  const maxParts = parseMaxKeys(header(ctx, 'x-amz-max-parts'), 'x-amz-max-parts');
  const marker = parseMaxKeys(
    header(ctx, 'x-amz-part-number-marker') ?? '0',
    'x-amz-part-number-marker',
    10_000,
  );
  const versionId = ctx.query.get('versionId');
  const info = await ctx.store.headObject(bucket, key, versionId === undefined ? {} : { versionId });
  let parts: XmlNode | undefined;
  if (wanted.has('ObjectParts') && info.parts !== undefined) {
    const after = info.parts.filter((p) => p.partNumber > marker);
    const page = after.slice(0, maxParts);
    const truncated = after.length > page.length;
    parts = [
      'ObjectParts',
      [
        ['PartsCount', info.parts.length],
        ['PartNumberMarker', marker],
        ['NextPartNumberMarker', truncated ? page[page.length - 1]?.partNumber : undefined],
        ['MaxParts', maxParts],
        ['IsTruncated', truncated],
        ...page.map((p): XmlNode => [
          'Part',
          [
            ['PartNumber', p.partNumber],
            ['Size', p.size],
          ],
        ]),
      ],
    ];
  }
  const headers: Record<string, string> = { 'last-modified': httpDate(info.lastModified) };
  if (info.versionId !== 'null') headers['x-amz-version-id'] = info.versionId;
  return xmlReply(
    xmlDocument('GetObjectAttributesResponse', [
      ['ETag', wanted.has('ETag') ? info.etag.replace(/"/g, '') : undefined],
      ['Checksum', wanted.has('Checksum') && info.checksum ? checksumXml(info.checksum) : undefined],
      ...(parts !== undefined ? [parts] : []),
      ['StorageClass', wanted.has('StorageClass') ? 'STANDARD' : undefined],
      ['ObjectSize', wanted.has('ObjectSize') ? info.size : undefined],
    ]),
    200,
    headers,
  );
};

/** GetObjectAttributes. */
export const attributesHandlers: Partial<Record<S3Operation, Handler>> = {
  GetObjectAttributes: getObjectAttributes,
};
