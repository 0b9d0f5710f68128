import type { ListedObject } from '../object-store.js';
import { type Handler, type S3Context, isoDate, requireBucket, xmlReply } from './context.js';
import { ObjectStoreError } from '../errors.js';
import { canonicalId } from './owner-id.js';
import type { S3Operation } from './routes.js';
import { uriEncode } from './sigv4.js';
import { XML_RAW, escapeXml, xmlDocument, type XmlNode } from './xml.js';

/** Parses max-keys style parameters: an integer ≥ 0, capped at `cap` (default 1000). */
export function parseMaxKeys(value: string | undefined, name: string, cap = 1000): number {
  if (value === undefined || value === '') return cap;
  if (!/^\d{1,10}$/.test(value))
    throw new ObjectStoreError(
      'InvalidArgument',
      `Provided ${name} not an integer or within integer range: ${JSON.stringify(value)}`,
    );
  return Math.min(Number(value), cap);
}

/** The opaque continuation token of ListObjectsV2: base64url of the last key returned. */
export function encodeToken(after: string): string {
  return Buffer.from('v1:' + after, 'utf8').toString('base64url');
}

/** Decodes a continuation token; anything not made by encodeToken is InvalidArgument. */
export function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith('v1:') || encodeToken(text.slice(3)) !== token) {
    throw new ObjectStoreError('InvalidArgument', 'The continuation token provided is incorrect', {
      ArgumentName: 'continuation-token',
    });
  }
  return text.slice(3);
}

/**
 * `encoding-type`: absent, or `url` (then every key-bearing field of the reply is URL-encoded);
 * anything else is InvalidArgument.
 */
export function encoder(ctx: S3Context): {
  encode: (s: string | undefined) => string | undefined;
  encodingType: string | undefined;
} {
  const type = ctx.query.get('encoding-type');
  if (type !== undefined && type !== 'url')
    throw new ObjectStoreError(
      'InvalidArgument',
      `Invalid Encoding Method specified in Request: ${JSON.stringify(type)}`,
    );
  return {
    encodingType: type,
    encode: (s) => (s === undefined ? undefined : type === 'url' ? uriEncode(s, true) : s),
  };
}

function owner(ctx: S3Context): XmlNode {
  const id = ctx.bucketInfo?.owner ?? ctx.user;
  return [
    'Owner',
    [
      ['ID', canonicalId(id)],
      ['DisplayName', id],
    ],
  ];
}

/**
 * The `<Contents>` elements of a listing as one serialized string (see XML_RAW): the same
 * elements, in the same order, as the node tree would give, without a tree per object. This
 * runs once per listed key, so dates and ETags take the short ways below.
 */
function contents(
  objects: readonly ListedObject[],
  ctx: S3Context,
  encode: (s: string) => string | undefined,
  withOwner: boolean,
): XmlNode {
  const name = ctx.bucketInfo?.owner ?? ctx.user;
  const id = escapeXml(name);
  const ownerXml = withOwner
    ? `<Owner><ID>${canonicalId(name)}</ID><DisplayName>${id}</DisplayName></Owner>`
    : '';
  const dates = new IsoDates();
  let out = '';
  for (const o of objects) {
    const key = encode(o.key);
    const algorithm = o.checksumAlgorithm;
    out +=
      `<Contents>${key === undefined ? '' : `<Key>${escapeXml(key)}</Key>`}` +
      `<LastModified>${dates.format(o.lastModified)}</LastModified><ETag>${escapeEtag(o.etag)}</ETag>` +
      (algorithm === undefined ? '' : `<ChecksumAlgorithm>${escapeXml(algorithm)}</ChecksumAlgorithm>`) +
      `<Size>${o.size}</Size>${ownerXml}<StorageClass>STANDARD</StorageClass></Contents>`;
  }
  return [XML_RAW, out];
}

/** A quoted ETag of hex digits (and `-N`) needs only its quotes escaped. */
const PLAIN_ETAG = /^"[0-9a-f-]*"$/;

/** escapeXml of an ETag. */
export function escapeEtag(etag: string): string {
  return PLAIN_ETAG.test(etag) ? `&quot;${etag.slice(1, -1)}&quot;` : escapeXml(etag);
}

/**
 * `Date.toISOString` for the dates of one listing: keys written together share their second,
 * so the text up to the second is kept and only the milliseconds are added.
 */
export class IsoDates {
  private second = NaN;
  private head = '';

  format(d: Date): string {
    const ms = d.getTime();
    const second = Math.floor(ms / 1000);
    // Years outside 0–9999 have a longer form; toISOString handles them (and invalid dates).
    if (!(ms >= 0 && ms < 253402300800000)) return isoDate(d);
    if (second !== this.second) {
      this.second = second;
      this.head = isoDate(d).slice(0, 20);
    }
    const milli = ms - second * 1000;
    return `${this.head}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  }
}

const listObjectsV2: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const { encode, encodingType } = encoder(ctx);
  const maxKeys = parseMaxKeys(ctx.query.get('max-keys'), 'max-keys');
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter');
  const token = ctx.query.get('continuation-token');
  const startAfter = ctx.query.get('start-after');
  const after = token !== undefined ? decodeToken(token) : startAfter;
  const result =
    maxKeys === 0
      ? { objects: [], commonPrefixes: [], isTruncated: false }
      : await ctx.store.listObjects(bucket, {
          prefix,
          maxKeys,
          ...(delimiter !== undefined && delimiter !== '' ? { delimiter } : {}),
          ...(after !== undefined && after !== '' ? { after } : {}),
        });
  const fetchOwner = ctx.query.get('fetch-owner') === 'true';
  const next =
    result.isTruncated && 'nextAfter' in result && result.nextAfter !== undefined
      ? encodeToken(result.nextAfter)
      : undefined;
  return xmlReply(
    xmlDocument('ListBucketResult', [
      ['Name', bucket],
      ['Prefix', encode(prefix)],
      ['Delimiter', encode(delimiter)],
      ['MaxKeys', maxKeys],
      ['EncodingType', encodingType],
      ['KeyCount', result.objects.length + result.commonPrefixes.length],
      ['IsTruncated', result.isTruncated],
      ['ContinuationToken', token],
      ['NextContinuationToken', next],
      ['StartAfter', encode(startAfter)],
      contents(result.objects, ctx, encode, fetchOwner),
      ...result.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', encode(p)]]]),
    ]),
  );
};

const listObjectsV1: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const { encode, encodingType } = encoder(ctx);
  const maxKeys = parseMaxKeys(ctx.query.get('max-keys'), 'max-keys');
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter');
  const marker = ctx.query.get('marker');
  const result =
    maxKeys === 0
      ? { objects: [], commonPrefixes: [], isTruncated: false, nextAfter: undefined }
      : await ctx.store.listObjects(bucket, {
          prefix,
          maxKeys,
          ...(delimiter !== undefined && delimiter !== '' ? { delimiter } : {}),
          ...(marker !== undefined && marker !== '' ? { after: marker } : {}),
        });
  const nextMarker =
    result.isTruncated && delimiter !== undefined && delimiter !== '' ? result.nextAfter : undefined;
  return xmlReply(
    xmlDocument('ListBucketResult', [
      ['Name', bucket],
      ['Prefix', encode(prefix)],
      ['Marker', encode(marker ?? '')],
      ['NextMarker', encode(nextMarker)],
      ['MaxKeys', maxKeys],
      ['Delimiter', encode(delimiter)],
      ['EncodingType', encodingType],
      ['IsTruncated', result.isTruncated],
      contents(result.objects, ctx, encode, true),
      ...result.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', encode(p)]]]),
    ]),
  );
};

const listObjectVersions: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const { encode, encodingType } = encoder(ctx);
  const maxKeys = parseMaxKeys(ctx.query.get('max-keys'), 'max-keys');
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter');
  const keyMarker = ctx.query.get('key-marker');
  const versionIdMarker = ctx.query.get('version-id-marker');
  if (
    versionIdMarker !== undefined &&
    versionIdMarker !== '' &&
    (keyMarker === undefined || keyMarker === '')
  ) {
    throw new ObjectStoreError(
      'InvalidArgument',
      'A version-id marker cannot be specified without a key marker.',
    );
  }
  const result =
    maxKeys === 0
      ? { versions: [], commonPrefixes: [], isTruncated: false }
      : await ctx.store.listObjectVersions(bucket, {
          prefix,
          maxKeys,
          ...(delimiter !== undefined && delimiter !== '' ? { delimiter } : {}),
          ...(keyMarker !== undefined && keyMarker !== '' ? { keyMarker } : {}),
          ...(versionIdMarker !== undefined && versionIdMarker !== '' ? { versionIdMarker } : {}),
        });
  const entries = result.versions.map((v): XmlNode =>
    v.isDeleteMarker === true
      ? [
          'DeleteMarker',
          [
            ['Key', encode(v.key)],
            ['VersionId', v.versionId],
            ['IsLatest', v.isLatest],
            ['LastModified', isoDate(v.lastModified)],
            owner(ctx),
          ],
        ]
      : [
          'Version',
          [
            ['Key', encode(v.key)],
            ['VersionId', v.versionId],
            ['IsLatest', v.isLatest],
            ['LastModified', isoDate(v.lastModified)],
            ['ETag', v.etag],
            ['Size', v.size],
            owner(ctx),
            ['StorageClass', 'STANDARD'],
          ],
        ],
  );
  return xmlReply(
    xmlDocument('ListVersionsResult', [
      ['Name', bucket],
      ['Prefix', encode(prefix)],
      ['KeyMarker', encode(keyMarker ?? '')],
      ['VersionIdMarker', versionIdMarker ?? ''],
      [
        'NextKeyMarker',
        'nextKeyMarker' in result && result.isTruncated ? encode(result.nextKeyMarker) : undefined,
      ],
      [
        'NextVersionIdMarker',
        'nextVersionIdMarker' in result && result.isTruncated ? result.nextVersionIdMarker : undefined,
      ],
      ['MaxKeys', maxKeys],
      ['Delimiter', encode(delimiter)],
      ['EncodingType', encodingType],
      ['IsTruncated', result.isTruncated],
      ...entries,
      ...result.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', encode(p)]]]),
    ]),
  );
};

/** The listing operations. */
export const listHandlers: Partial<Record<S3Operation, Handler>> = {
  ListObjects: listObjectsV1,
  ListObjectsV2: listObjectsV2,
  ListObjectVersions: listObjectVersions,
};
