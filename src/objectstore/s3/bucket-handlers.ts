import { type Handler, type S3Reply, isoDate, requireBucket, xmlReply } from './context.js';
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

/**
 * The region a CreateBucketConfiguration asks for (undefined when the body has none), checked
 * against the gateway's as AWS's regional endpoints check it: another region is
 * IllegalLocationConstraintException. `EU` is eu-west-1's old name.
 */
function checkLocationConstraint(body: Buffer, region: string): void {
  if (body.length === 0) return;
  const root = parseXml(body.toString('utf8'));
  if (root.name !== 'CreateBucketConfiguration')
    throw new ObjectStoreError('MalformedXML', 'The root element must be CreateBucketConfiguration');
  const asked = childText(root, 'LocationConstraint')?.trim();
  if (asked === undefined || asked === '') return;
  const named = asked === 'EU' ? 'eu-west-1' : asked;
  if (named !== region)
    throw new ObjectStoreError(
      'IllegalLocationConstraintException',
      `The ${asked} location constraint is incompatible for the region specific endpoint this request was sent to.`,
    );
}

/**
 * The answer to re-creating a bucket one owns: 200 in us-east-1 (AWS's legacy rule, which
 * scripts there rely on), BucketAlreadyOwnedByYou in any other region. Either way the bucket, its
 * ACL included, stays as it was.
 */
function alreadyOwned(region: string, name: string): S3Reply {
  if (region === 'us-east-1') return { status: 200, headers: { location: `/${name}` } };
  throw new ObjectStoreError(
    'BucketAlreadyOwnedByYou',
    `Your previous request to create the named bucket succeeded and you already own it: ${name}`,
    { BucketName: name },
  );
}

const createBucket: Handler = async (ctx) => {
  const name = requireBucket(ctx);
  validateBucketName(name);
  checkLocationConstraint(await ctx.readBody(64 * 1024), ctx.region);
  const existing = await ctx.store.getBucket(name);
  if (existing !== undefined && existing.owner === ctx.user) return alreadyOwned(ctx.region, name);
  const acl = aclFromHeaders(ctx, ctx.user, ctx.user);
  try {
    await ctx.store.createBucket(
      name,
      ctx.user,
      acl === undefined ? {} : { access: serializeBucketAccess({ acl }) },
    );
  } catch (err) {
    // A concurrent create by the same owner won.
    if (err instanceof ObjectStoreError && err.code === 'BucketAlreadyOwnedByYou')
      return alreadyOwned(ctx.region, name);
    throw err;
  }
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
