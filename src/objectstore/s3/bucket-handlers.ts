import { type Handler, isoDate, requireBucket, xmlReply } from './context.js';
import { corsToXml, parseCorsConfiguration } from './cors.js';
import { S3Error } from './errors.js';
import { childText, escapeXml, parseXml, xmlDocument, type XmlNode } from './xml.js';
import type { S3Operation } from './routes.js';

/**
 * Checks S3's bucket naming rules: 3–63 characters of lowercase letters, digits, `.` and `-`,
 * starting and ending with a letter or digit, no `..`, not an IP address, no reserved prefix
 * or suffix. Returns the reason a name is invalid, or undefined when it is fine.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'bucket names must be 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'bucket names may contain only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit';
  }
  if (name.includes('..') || name.includes('.-') || name.includes('-.'))
    return 'bucket names must not contain "..", ".-" or "-."';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'bucket names must not be formatted as an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-'))
    return 'bucket names must not start with "xn--" or "sthree-"';
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3'))
    return 'bucket names must not end with "-s3alias" or "--ol-s3"';
  return undefined;
}

const listBuckets: Handler = async (ctx) => {
  const buckets = await ctx.store.listBuckets(ctx.user);
  return xmlReply(
    xmlDocument('ListAllMyBucketsResult', [
      [
        'Owner',
        [
          ['ID', ctx.user],
          ['DisplayName', ctx.user],
        ],
      ],
      [
        'Buckets',
        buckets.map((b): XmlNode => [
          'Bucket',
          [
            ['Name', b.name],
            ['CreationDate', isoDate(b.created)],
          ],
        ]),
      ],
    ]),
  );
};

const createBucket: Handler = async (ctx) => {
  const name = requireBucket(ctx);
  const problem = bucketNameProblem(name);
  if (problem !== undefined)
    throw new S3Error('InvalidBucketName', `Cannot create bucket ${JSON.stringify(name)}: ${problem}`, {
      BucketName: name,
    });
  const body = await ctx.readBody(64 * 1024);
  if (body.length > 0) {
    const root = parseXml(body.toString('utf8'));
    if (root.name !== 'CreateBucketConfiguration')
      throw new S3Error('MalformedXML', 'The root element must be CreateBucketConfiguration');
  }
  const existing = await ctx.store.getBucket(name);
  if (existing !== undefined) {
    if (existing.owner === ctx.user) {
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        `Your previous request to create the named bucket succeeded and you already own it: ${name}`,
        { BucketName: name },
      );
    }
  }
  await ctx.store.createBucket(name, ctx.user);
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
    throw new S3Error('MalformedXML', 'The root element must be VersioningConfiguration');
  const status = childText(root, 'Status')?.trim();
  if (status !== 'Enabled' && status !== 'Suspended') {
    throw new S3Error(
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
    throw new S3Error('NoSuchCORSConfiguration', 'The CORS configuration does not exist', {
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
