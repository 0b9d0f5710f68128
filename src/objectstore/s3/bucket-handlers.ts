import { type Handler, isoDate, requireBucket, xmlReply } from './context.js';
import { corsToXml, parseCorsConfiguration } from './cors.js';
import { ObjectStoreError } from '../errors.js';
import { canonicalId } from './owner-id.js';
import { aclFromHeaders } from './request-acl.js';
import { serializeBucketAccess } from './bucket-access.js';
import { validateBucketName } from '../index.js';
import { decodeToken, encodeToken } from './list-handlers.js';
import { childText, escapeXml, parseXml, xmlDocument, type XmlNode } from './xml.js';
import type { S3Operation } from './routes.js';

/** `max-buckets`: an integer from 1 to 10,000, as AWS takes it; undefined when absent (every bucket). */
function parseMaxBuckets(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 10_000))
    throw new ObjectStoreError(
      'InvalidArgument',
      `max-buckets must be an integer from 1 to 10000, not ${JSON.stringify(value)}`,
      { ArgumentName: 'max-buckets', ArgumentValue: value },
    );
  return n;
}

/**
 * ListBuckets: the caller's buckets by name, filtered by `prefix` and `bucket-region` (every
 * bucket is in the gateway's region), paged by `max-buckets` and the opaque `continuation-token`
 * that a truncated page answers with.
 */
const listBuckets: Handler = async (ctx) => {
  const prefix = ctx.query.get('prefix');
  const region = ctx.query.get('bucket-region');
  const max = parseMaxBuckets(ctx.query.get('max-buckets'));
  const token = ctx.query.get('continuation-token');
  const after = token === undefined ? undefined : decodeToken(token);
  const matching =
    region !== undefined && region !== ctx.region
      ? []
      : (await ctx.store.listBuckets(ctx.user))
          .filter(
            (b) =>
              (prefix === undefined || b.name.startsWith(prefix)) && (after === undefined || b.name > after),
          )
          .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const page = max === undefined ? matching : matching.slice(0, max);
  const last = page[page.length - 1];
  const next = page.length < matching.length && last !== undefined ? encodeToken(last.name) : undefined;
  return xmlReply(
    xmlDocument('ListAllMyBucketsResult', [
      [
        'Owner',
        [
          ['ID', canonicalId(ctx.user)],
          ['DisplayName', ctx.user],
        ],
      ],
      [
        'Buckets',
        page.map((b): XmlNode => [
          'Bucket',
          [
            ['Name', b.name],
            ['CreationDate', isoDate(b.created)],
            ['BucketRegion', ctx.region],
          ],
        ]),
      ],
      ['ContinuationToken', next],
      ['Prefix', prefix],
    ]),
  );
};

const createBucket: Handler = async (ctx) => {
  const name = requireBucket(ctx);
  validateBucketName(name);
  const body = await ctx.readBody(64 * 1024);
  if (body.length > 0) {
    const root = parseXml(body.toString('utf8'));
    if (root.name !== 'CreateBucketConfiguration')
      throw new ObjectStoreError('MalformedXML', 'The root element must be CreateBucketConfiguration');
  }
  const existing = await ctx.store.getBucket(name);
  if (existing !== undefined) {
    if (existing.owner === ctx.user) {
      throw new ObjectStoreError(
        'BucketAlreadyOwnedByYou',
        `Your previous request to create the named bucket succeeded and you already own it: ${name}`,
        { BucketName: name },
      );
    }
  }
  // Recreating one's own bucket failed above, so an existing bucket's ACL is never reset here.
  const acl = aclFromHeaders(ctx, ctx.user, ctx.user);
  await ctx.store.createBucket(
    name,
    ctx.user,
    acl === undefined ? {} : { access: serializeBucketAccess({ acl }) },
  );
  return { status: 200, headers: { location: `/${name}` } };
};

const deleteBucket: Handler = async (ctx) => {
  await ctx.store.deleteBucket(requireBucket(ctx));
  return { status: 204 };
};

const headBucket: Handler = (ctx) =>
  Promise.resolve({ status: 200, headers: { 'x-amz-bucket-region': ctx.region } });

const getBucketLocation: Handler = (ctx) => {
  const region = ctx.region === 'us-east-1' ? '' : escapeXml(ctx.region);
  return Promise.resolve(
    xmlReply(
      `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${region}</LocationConstraint>`,
    ),
  );
};

const getBucketVersioning: Handler = (ctx) => {
  const state = ctx.bucketInfo?.versioning ?? 'Off';
  return Promise.resolve(
    xmlReply(xmlDocument('VersioningConfiguration', [['Status', state === 'Off' ? undefined : state]])),
  );
};

const putBucketVersioning: Handler = async (ctx) => {
  const root = parseXml((await ctx.readBody(64 * 1024)).toString('utf8'));
  if (root.name !== 'VersioningConfiguration')
    throw new ObjectStoreError('MalformedXML', 'The root element must be VersioningConfiguration');
  const status = childText(root, 'Status')?.trim();
  if (status !== 'Enabled' && status !== 'Suspended') {
    throw new ObjectStoreError(
      'MalformedXML',
      `The versioning Status must be Enabled or Suspended, not ${JSON.stringify(status ?? '')}`,
    );
  }
  await ctx.store.setVersioning(requireBucket(ctx), status);
  return { status: 200 };
};

const getBucketCors: Handler = (ctx) => {
  const rules = ctx.bucketInfo?.cors;
  if (rules === undefined || rules.length === 0) {
    throw new ObjectStoreError('NoSuchCORSConfiguration', 'The CORS configuration does not exist', {
      BucketName: ctx.bucket,
    });
  }
  return Promise.resolve(xmlReply(xmlDocument('CORSConfiguration', corsToXml(rules))));
};

const putBucketCors: Handler = async (ctx) => {
  const rules = parseCorsConfiguration(parseXml((await ctx.readBody(256 * 1024)).toString('utf8')));
  await ctx.store.setCors(requireBucket(ctx), rules);
  return { status: 200 };
};

const deleteBucketCors: Handler = async (ctx) => {
  await ctx.store.setCors(requireBucket(ctx), undefined);
  return { status: 204 };
};

/** The bucket-level operations. */
export const bucketHandlers: Partial<Record<S3Operation, Handler>> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  DeleteBucket: deleteBucket,
  HeadBucket: headBucket,
  GetBucketLocation: getBucketLocation,
  GetBucketVersioning: getBucketVersioning,
  PutBucketVersioning: putBucketVersioning,
  GetBucketCors: getBucketCors,
  PutBucketCors: putBucketCors,
  DeleteBucketCors: deleteBucketCors,
};
