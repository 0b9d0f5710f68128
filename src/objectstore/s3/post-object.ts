import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { ObjectStoreError } from '../errors.js';
import { type Handler, type S3Context, type S3Reply, checkKey, header, requireBucket } from './context.js';
import { putOptionsFrom, putResponseHeaders } from './object-handlers.js';
import { checkPostPolicy, parsePostPolicy } from './post-policy.js';
import { readPostForm } from './post-form.js';
import { MAX_BODY } from './request-body.js';
import { parseTagging } from './tagging-handlers.js';
import { xmlDocument } from './xml.js';

/**
 * POST Object: a browser's HTML form upload (multipart/form-data to the bucket's URL). The form
 * names the key (`${filename}` is the file's name), carries a policy signed with the uploader's
 * key (or none, for an anonymous upload that the bucket's ACL or policy allows), and the object's
 * headers and metadata as fields; the file, its last part, streams to storage. The policy's
 * conditions are checked before a byte of the file is stored, its content-length-range while it
 * streams (a file out of range is never committed).
 */

/** Form fields that become the object's headers (the same names as PutObject's headers). */
const HEADER_FIELDS = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'expires'];

/** The request headers a PutObject with the form's fields would have carried. */
function formHeaders(fields: ReadonlyMap<string, string>): IncomingHttpHeaders {
  const h: IncomingHttpHeaders = {};
  for (const [name, value] of fields) {
    if (HEADER_FIELDS.includes(name) || name.startsWith('x-amz-meta-')) h[name] = value;
  }
  const acl = fields.get('acl');
  if (acl !== undefined) h['x-amz-acl'] = acl;
  const tagging = fields.get('tagging');
  if (tagging !== undefined) h['x-amz-tagging'] = new URLSearchParams(parseTagging(tagging)).toString();
  return h;
}

/** Counts the file's bytes and fails the stream once they leave the policy's range. */
class SizeRange extends Transform {
  bytes = 0;
  failure: ObjectStoreError | undefined;

  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      this.failure = new ObjectStoreError(
        'EntityTooLarge',
        'Your proposed upload exceeds the maximum allowed size',
        { ProposedSize: this.bytes, MaxSizeAllowed: this.max },
      );
      done(this.failure);
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.bytes < this.min) {
      this.failure = new ObjectStoreError(
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed size',
        { ProposedSize: this.bytes, MinSizeAllowed: this.min },
      );
      done(this.failure);
      return;
    }
    done();
  }
}

/** The answer S3 gives a successful POST: a redirect, or the status the form asked for (204 by default). */
function postReply(
  ctx: S3Context,
  fields: ReadonlyMap<string, string>,
  object: { bucket: string; key: string; etag: string; versionId?: string },
): S3Reply {
  const location = `${ctx.post.origin}/${object.bucket}/${encodeURIComponent(object.key).replace(/%2F/g, '/')}`;
  const headers = { ...putResponseHeaders(object, ctx), location };
  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
  if (redirect !== undefined && URL.canParse(redirect)) {
    const target = new URL(redirect);
    target.searchParams.append('bucket', object.bucket);
    target.searchParams.append('key', object.key);
    target.searchParams.append('etag', object.etag);
    return { status: 303, headers: { ...headers, location: target.toString() } };
  }
  const status = fields.get('success_action_status');
  if (status === '200') return { status: 200, headers };
  if (status === '201')
    return {
      status: 201,
      headers: { ...headers, 'content-type': 'application/xml' },
      body: xmlDocument('PostResponse', [
        ['Location', location],
        ['Bucket', object.bucket],
        ['Key', object.key],
        ['ETag', object.etag],
      ]),
    };
  return { status: 204, headers };
}

const postObject: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const type = header(ctx, 'content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type))
    throw new ObjectStoreError(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      { Condition: 'Bucket POST must be of the enclosure-type multipart/form-data' },
    );
  const form = await readPostForm(ctx.body(), type);
  const { fields, file } = form;
  try {
    const named = fields.get('key');
    if (named === undefined)
      throw new ObjectStoreError(
        'InvalidArgument',
        "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
        { ArgumentName: 'key', ArgumentValue: '' },
      );
    const key = named.replaceAll('${filename}', form.filename);
    if (key === '')
      throw new ObjectStoreError('InvalidArgument', 'User key must have a length greater than 0.', {
        ArgumentName: 'key',
        ArgumentValue: '',
      });
    checkKey(key);
    const user = await ctx.post.authenticate(fields);
    const policyText = fields.get('policy');
    const policy = policyText === undefined ? undefined : parsePostPolicy(policyText, ctx.clock.now());
    if (policy !== undefined) checkPostPolicy(policy, new Map([...fields, ['bucket', bucket], ['key', key]]));
    const headers = formHeaders(fields);
    await ctx.post.authorize(user, key, headers);
    const options = putOptionsFrom({ ...ctx, headers, user: user ?? '' });
    const range = new SizeRange(policy?.minSize ?? 0, Math.min(policy?.maxSize ?? MAX_BODY, MAX_BODY));
    file.on('error', (err) => range.destroy(err));
    // The engine reports a failed body as its own rejection; `failure` says why.
    range.on('error', () => undefined);
    let info: Awaited<ReturnType<typeof ctx.store.putObject>>;
    try {
      info = await ctx.store.putObject(bucket, key, file.pipe(range), options);
    } catch (err) {
      throw range.failure ?? err;
    }
    return postReply(ctx, fields, { ...info, bucket, key });
  } finally {
    file.resume();
  }
};

/** POST Object (browser form uploads). */
export const postHandlers = { PostObject: postObject };
