import { ObjectStoreError } from '../errors.js';
import { aclToXml, cannedAcl, parseAccessControlPolicy, type Acl } from './acl.js';
import { serializeBucketAccess } from './bucket-access.js';
import { type Handler, type S3Context, requireBucket, requireKey, xmlReply } from './context.js';
import { canonicalId } from './owner-id.js';
import { aclFromHeaders, checkAclAllowed } from './request-acl.js';
import type { S3Operation } from './routes.js';

/** The ACL a PutBucketAcl/PutObjectAcl asks for: headers, or else the AccessControlPolicy body. */
async function requestedAcl(ctx: S3Context, owner: string, bucketOwner: string): Promise<Acl> {
  const fromHeaders = aclFromHeaders(ctx, owner, bucketOwner);
  const body = await ctx.readBody(64 * 1024);
  if (fromHeaders !== undefined) {
    if (body.length > 0)
      throw new ObjectStoreError('UnexpectedContent', 'This request does not support content');
    return fromHeaders;
  }
  if (body.length === 0)
    throw new ObjectStoreError(
      'MissingSecurityHeader',
      'Your request was missing a required header: x-amz-acl',
      {
        MissingHeaderName: 'x-amz-acl',
      },
    );
  return parseAccessControlPolicy(body.toString('utf8'), owner, ctx.grantees);
}

function bucketOwner(ctx: S3Context): string {
  return ctx.bucketInfo?.owner ?? ctx.user;
}

const getBucketAcl: Handler = (ctx) => {
  const owner = bucketOwner(ctx);
  const acl = ctx.access?.ownership === 'BucketOwnerEnforced' ? cannedAcl('private', owner) : ctx.access?.acl;
  return Promise.resolve(xmlReply(aclToXml(acl ?? cannedAcl('private', owner), canonicalId)));
};

const putBucketAcl: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const owner = bucketOwner(ctx);
  const acl = await requestedAcl(ctx, owner, owner);
  checkAclAllowed(ctx.access, acl, owner);
  await ctx.store.setBucketAccess(bucket, serializeBucketAccess({ ...ctx.access?.stored, acl }));
  return { status: 200 };
};

function versionOf(ctx: S3Context): string | undefined {
  const v = ctx.query.get('versionId');
  return v === undefined || v === '' ? undefined : v;
}

const getObjectAcl: Handler = async (ctx) => {
  const v = versionOf(ctx);
  const info = await ctx.store.headObject(
    requireBucket(ctx),
    requireKey(ctx),
    v === undefined ? {} : { versionId: v },
  );
  const owner = bucketOwner(ctx);
  const acl =
    info.acl === undefined || ctx.access?.ownership === 'BucketOwnerEnforced'
      ? cannedAcl('private', owner)
      : (JSON.parse(info.acl) as Acl);
  const h: Record<string, string> = info.versionId === 'null' ? {} : { 'x-amz-version-id': info.versionId };
  return xmlReply(aclToXml(acl, canonicalId), 200, h);
};

const putObjectAcl: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const key = requireKey(ctx);
  const v = versionOf(ctx);
  const info = await ctx.store.headObject(bucket, key, v === undefined ? {} : { versionId: v });
  const owner = info.acl === undefined ? bucketOwner(ctx) : (JSON.parse(info.acl) as Acl).owner;
  const acl = await requestedAcl(ctx, owner, bucketOwner(ctx));
  checkAclAllowed(ctx.access, acl, bucketOwner(ctx));
  await ctx.store.putObjectAcl(
    bucket,
    key,
    JSON.stringify(acl),
    info.versionId === 'null' ? undefined : info.versionId,
  );
  const h: Record<string, string> = info.versionId === 'null' ? {} : { 'x-amz-version-id': info.versionId };
  return { status: 200, headers: h };
};

/** Get/PutBucketAcl and Get/PutObjectAcl. */
export const aclHandlers: Partial<Record<S3Operation, Handler>> = {
  GetBucketAcl: getBucketAcl,
  PutBucketAcl: putBucketAcl,
  GetObjectAcl: getObjectAcl,
  PutObjectAcl: putObjectAcl,
};
