import { ObjectStoreError } from '../errors.js';
import { isPublicAcl } from './acl.js';
import {
  serializeBucketAccess,
  type BucketAccess,
  type ObjectOwnership,
  type PublicAccessBlock,
} from './bucket-access.js';
import { type Handler, type S3Context, requireBucket, xmlReply } from './context.js';
import { compilePolicy, MAX_POLICY_BYTES } from './policy.js';
import type { S3Operation } from './routes.js';
import { child, childText, parseXml, xmlDocument } from './xml.js';

/** Writes a change of the bucket's access settings (the rest kept). */
async function saveAccess(ctx: S3Context, change: (a: BucketAccess) => BucketAccess): Promise<void> {
  const next = change({ ...ctx.access?.stored });
  await ctx.store.setBucketAccess(requireBucket(ctx), serializeBucketAccess(next));
}

const getBucketPolicy: Handler = (ctx) => {
  const text = ctx.access?.stored.policy;
  if (text === undefined)
    throw new ObjectStoreError('NoSuchBucketPolicy', 'The bucket policy does not exist', {
      BucketName: ctx.bucket,
    });
  return Promise.resolve({ status: 200, headers: { 'content-type': 'application/json' }, body: text });
};

const putBucketPolicy: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const text = (await ctx.readBody(MAX_POLICY_BYTES + 1)).toString('utf8');
  const policy = compilePolicy(bucket, text);
  if (policy.isPublic && ctx.access?.publicAccessBlock?.blockPublicPolicy === true)
    throw new ObjectStoreError(
      'AccessDenied',
      'Access Denied: Block Public Access forbids public bucket policies',
    );
  await saveAccess(ctx, (a) => ({ ...a, policy: text }));
  return { status: 204 };
};

const deleteBucketPolicy: Handler = async (ctx) => {
  await saveAccess(ctx, (a) => {
    delete a.policy;
    return a;
  });
  return { status: 204 };
};

const getBucketPolicyStatus: Handler = (ctx) => {
  const policy = ctx.access?.policy;
  if (policy === undefined)
    throw new ObjectStoreError('NoSuchBucketPolicy', 'The bucket policy does not exist', {
      BucketName: ctx.bucket,
    });
  return Promise.resolve(xmlReply(xmlDocument('PolicyStatus', [['IsPublic', policy.isPublic]])));
};

const PAB_FIELDS: ReadonlyArray<readonly [string, keyof PublicAccessBlock]> = [
  ['BlockPublicAcls', 'blockPublicAcls'],
  ['IgnorePublicAcls', 'ignorePublicAcls'],
  ['BlockPublicPolicy', 'blockPublicPolicy'],
  ['RestrictPublicBuckets', 'restrictPublicBuckets'],
];

const getPublicAccessBlock: Handler = (ctx) => {
  const pab = ctx.access?.publicAccessBlock;
  if (pab === undefined)
    throw new ObjectStoreError(
      'NoSuchPublicAccessBlockConfiguration',
      'The public access block configuration was not found',
      { BucketName: ctx.bucket },
    );
  return Promise.resolve(
    xmlReply(
      xmlDocument(
        'PublicAccessBlockConfiguration',
        PAB_FIELDS.map(([x, f]) => [x, pab[f]]),
      ),
    ),
  );
};

const putPublicAccessBlock: Handler = async (ctx) => {
  const root = parseXml((await ctx.readBody(64 * 1024)).toString('utf8'));
  if (root.name !== 'PublicAccessBlockConfiguration')
    throw new ObjectStoreError('MalformedXML', 'The root element must be PublicAccessBlockConfiguration');
  const pab = {} as PublicAccessBlock;
  for (const [x, f] of PAB_FIELDS) {
    const v = childText(root, x)?.trim().toLowerCase();
    if (v !== undefined && v !== 'true' && v !== 'false')
      throw new ObjectStoreError('MalformedXML', `${x} must be true or false`);
    pab[f] = v === 'true';
  }
  await saveAccess(ctx, (a) => ({ ...a, publicAccessBlock: pab }));
  return { status: 200 };
};

const deletePublicAccessBlock: Handler = async (ctx) => {
  await saveAccess(ctx, (a) => {
    delete a.publicAccessBlock;
    return a;
  });
  return { status: 204 };
};

const OWNERSHIPS: readonly ObjectOwnership[] = [
  'BucketOwnerEnforced',
  'BucketOwnerPreferred',
  'ObjectWriter',
];

const getOwnershipControls: Handler = (ctx) => {
  const o = ctx.access?.stored.ownership;
  if (o === undefined)
    throw new ObjectStoreError(
      'OwnershipControlsNotFoundError',
      'The bucket ownership controls were not found',
      {
        BucketName: ctx.bucket,
      },
    );
  return Promise.resolve(xmlReply(xmlDocument('OwnershipControls', [['Rule', [['ObjectOwnership', o]]]])));
};

const putOwnershipControls: Handler = async (ctx) => {
  const root = parseXml((await ctx.readBody(64 * 1024)).toString('utf8'));
  const rule = child(root, 'Rule');
  const o = rule === undefined ? undefined : childText(rule, 'ObjectOwnership')?.trim();
  if (root.name !== 'OwnershipControls' || !OWNERSHIPS.includes(o as ObjectOwnership))
    throw new ObjectStoreError(
      'MalformedXML',
      'OwnershipControls needs one Rule with a valid ObjectOwnership',
    );
  const acl = ctx.access?.acl;
  if (
    o === 'BucketOwnerEnforced' &&
    acl !== undefined &&
    (isPublicAcl(acl) || acl.grants.some((g) => 'user' in g && g.user !== acl.owner))
  )
    throw new ObjectStoreError(
      'InvalidBucketAclWithObjectOwnership',
      "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    );
  await saveAccess(ctx, (a) => ({ ...a, ownership: o as ObjectOwnership }));
  return { status: 200 };
};

const deleteOwnershipControls: Handler = async (ctx) => {
  await saveAccess(ctx, (a) => {
    delete a.ownership;
    return a;
  });
  return { status: 204 };
};

/** Bucket policies, policy status, Block Public Access and Object Ownership. */
export const accessHandlers: Partial<Record<S3Operation, Handler>> = {
  GetBucketPolicy: getBucketPolicy,
  PutBucketPolicy: putBucketPolicy,
  DeleteBucketPolicy: deleteBucketPolicy,
  GetBucketPolicyStatus: getBucketPolicyStatus,
  GetPublicAccessBlock: getPublicAccessBlock,
  PutPublicAccessBlock: putPublicAccessBlock,
  DeletePublicAccessBlock: deletePublicAccessBlock,
  GetBucketOwnershipControls: getOwnershipControls,
  PutBucketOwnershipControls: putOwnershipControls,
  DeleteBucketOwnershipControls: deleteOwnershipControls,
};
