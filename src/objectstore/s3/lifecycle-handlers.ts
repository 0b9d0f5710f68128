import { randomBytes } from 'node:crypto';
import { type Handler, requireBucket, xmlReply } from './context.js';
import { ObjectStoreError } from '../errors.js';
import { lifecycleToXml, parseLifecycleConfiguration } from './lifecycle-xml.js';
import type { S3Operation } from './routes.js';
import { requireIntegrity } from './tagging-handlers.js';
import { parseXml, xmlDocument } from './xml.js';

/** Transitions are not implemented, so every object is below any minimum; AWS's default is named. */
const MIN_SIZE_HEADER = { 'x-amz-transition-default-minimum-object-size': 'all_storage_classes_128K' };

const putLifecycle: Handler = async (ctx) => {
  const body = await ctx.readBody(1024 * 1024);
  requireIntegrity(ctx, body);
  // S3 names rules sent without an ID.
  const rules = parseLifecycleConfiguration(parseXml(body.toString('utf8')), () =>
    randomBytes(24).toString('base64url'),
  );
  await ctx.store.setLifecycle(requireBucket(ctx), rules);
  return { status: 200, headers: MIN_SIZE_HEADER };
};

const getLifecycle: Handler = (ctx) => {
  const rules = ctx.bucketInfo?.lifecycle;
  if (rules === undefined || rules.length === 0) {
    throw new ObjectStoreError('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', {
      BucketName: ctx.bucket,
    });
  }
  return Promise.resolve(
    xmlReply(xmlDocument('LifecycleConfiguration', lifecycleToXml(rules)), 200, MIN_SIZE_HEADER),
  );
};

const deleteLifecycle: Handler = async (ctx) => {
  await ctx.store.setLifecycle(requireBucket(ctx), undefined);
  return { status: 204 };
};

/** Get/Put/DeleteBucketLifecycleConfiguration. */
export const lifecycleHandlers: Partial<Record<S3Operation, Handler>> = {
  GetBucketLifecycleConfiguration: getLifecycle,
  PutBucketLifecycleConfiguration: putLifecycle,
  DeleteBucketLifecycle: deleteLifecycle,
};
