import type { IncomingHttpHeaders } from 'node:http';
import type { BucketInfo, ObjectStore } from '../object-store.js';
import { ObjectStoreError } from '../errors.js';
import type { Acl } from './acl.js';
import { decideAccess, OPERATION_ACCESS, type OperationAccess } from './authorize.js';
import type { AccessCache, ResolvedAccess } from './bucket-access.js';
import { parseTagQuery } from './context.js';
import { canonicalId } from './owner-id.js';
import type { PolicyRequest } from './policy.js';
import type { S3Operation } from './routes.js';

/**
 * The gateway's side of authorization: looks the bucket up, checks `x-amz-expected-bucket-owner`,
 * builds the policy request (condition keys read lazily from the request), fetches an object's
 * ACL or tags only when the decision needs them, and turns a refusal into AccessDenied.
 */

/** What the check reads of one request. */
export interface AccessRequest {
  operation: S3Operation;
  bucket: string;
  key: string | undefined;
  /** The requester; undefined when anonymous. */
  user: string | undefined;
  query: ReadonlyMap<string, string>;
  headers: IncomingHttpHeaders;
  remoteAddress: string | undefined;
  secure: boolean;
  now: number;
}

function one(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function denied(): ObjectStoreError {
  return new ObjectStoreError('AccessDenied', 'Access Denied');
}

/** The IAM action of an operation, with the `…Version…` forms AWS uses when a versionId is given. */
function actionOf(need: OperationAccess, r: AccessRequest): string {
  const v = r.query.get('versionId');
  if (v === undefined || v === '') return need.action;
  switch (need.action) {
    case 's3:GetObject':
      return 's3:GetObjectVersion';
    case 's3:DeleteObject':
      return r.operation === 'DeleteObject' ? 's3:DeleteObjectVersion' : need.action;
    case 's3:GetObjectAttributes':
      return 's3:GetObjectVersionAttributes';
    case 's3:GetObjectAcl':
      return 's3:GetObjectVersionAcl';
    case 's3:PutObjectAcl':
      return 's3:PutObjectVersionAcl';
    case 's3:GetObjectTagging':
      return 's3:GetObjectVersionTagging';
    case 's3:PutObjectTagging':
      return 's3:PutObjectVersionTagging';
    case 's3:DeleteObjectTagging':
      return 's3:DeleteObjectVersionTagging';
    default:
      return need.action;
  }
}

/** A policy request whose condition keys are computed only when a statement asks. */
function policyRequest(
  r: AccessRequest,
  action: string,
  existingTags: () => Record<string, string>,
): PolicyRequest {
  const resource =
    r.key !== undefined
      ? `arn:aws:s3:::${r.bucket}/${r.key}`
      : r.operation === 'DeleteObjects'
        ? `arn:aws:s3:::${r.bucket}/*`
        : `arn:aws:s3:::${r.bucket}`;
  return {
    user: r.user,
    canonicalId: r.user === undefined ? undefined : canonicalId(r.user),
    action,
    resource,
    key: (name) => {
      switch (name) {
        case 'aws:sourceip':
          return r.remoteAddress;
        case 'aws:securetransport':
          return r.secure ? 'true' : 'false';
        case 'aws:username':
          return r.user;
        case 'aws:currenttime':
          return new Date(r.now).toISOString();
        case 'aws:epochtime':
          return String(Math.floor(r.now / 1000));
        case 'aws:referer':
          return one(r.headers, 'referer');
        case 'aws:useragent':
          return one(r.headers, 'user-agent');
        case 's3:prefix':
          return r.query.get('prefix');
        case 's3:delimiter':
          return r.query.get('delimiter');
        case 's3:max-keys':
          return r.query.get('max-keys');
        case 's3:versionid':
          return r.query.get('versionId');
      }
      if (name.startsWith('s3:x-amz-')) return one(r.headers, name.slice(3));
      if (name.startsWith('s3:existingobjecttag/')) {
        const tag = name.slice('s3:existingobjecttag/'.length);
        const found = Object.entries(existingTags()).find(([k]) => k.toLowerCase() === tag);
        return found?.[1];
      }
      if (name.startsWith('s3:requestobjecttag/')) {
        const tagging = one(r.headers, 'x-amz-tagging');
        if (tagging === undefined) return undefined;
        const tag = name.slice('s3:requestobjecttag/'.length);
        return Object.entries(parseTagQuery(tagging)).find(([k]) => k.toLowerCase() === tag)?.[1];
      }
      return undefined;
    },
  };
}

/**
 * Checks `x-amz-expected-bucket-owner` (or, for a copy source, `x-amz-source-expected-bucket-owner`):
 * it must name the bucket's owner by canonical id or user name, else AccessDenied.
 */
export function checkExpectedOwner(headers: IncomingHttpHeaders, header: string, owner: string): void {
  const expected = one(headers, header);
  if (expected !== undefined && expected !== canonicalId(owner) && expected !== owner) throw denied();
}

/**
 * Authorizes a request on an existing bucket (see authorize.ts for the rules); resolves when it
 * may proceed, fails with AccessDenied otherwise. A missing object the requester may not list
 * is AccessDenied too, as on AWS, so that keys cannot be probed.
 */
export async function checkAccess(
  store: ObjectStore,
  info: BucketInfo,
  access: ResolvedAccess,
  r: AccessRequest,
): Promise<void> {
  const need = OPERATION_ACCESS[r.operation];
  if (need === undefined) {
    if (r.user !== info.owner) throw denied();
    return;
  }
  const versionId = r.query.get('versionId');
  const head = async (): Promise<{ acl?: string } | undefined> => {
    try {
      return await store.headObject(r.bucket, r.key!, versionId ? { versionId } : {});
    } catch (err) {
      if (err instanceof ObjectStoreError && (err.code === 'NoSuchKey' || err.code === 'NoSuchVersion'))
        return undefined;
      throw err;
    }
  };
  let tags: Record<string, string> = {};
  const wantsTags = access.policy?.readsObjectTags === true;
  if (wantsTags && r.key !== undefined) {
    tags = await store.getTagging(r.bucket, r.key, versionId || undefined).catch(() => ({}));
  }
  const request = policyRequest(r, actionOf(need, r), () => tags);
  const question = { user: r.user, owner: info.owner, access, need, request };
  let verdict = decideAccess(question);
  if (
    !verdict.allowed &&
    verdict.reason === 'implicit-deny' &&
    need.acl?.on === 'object' &&
    r.key !== undefined
  ) {
    const obj = await head();
    if (obj === undefined) {
      // Missing: 404 for who may list the bucket, 403 for anyone else.
      const list = OPERATION_ACCESS.ListObjects!;
      const listing = decideAccess({
        ...question,
        need: list,
        request: { ...request, action: list.action, resource: `arn:aws:s3:::${r.bucket}` },
      });
      if (listing.allowed) return;
      throw denied();
    }
    const objectAcl: Acl =
      obj.acl === undefined
        ? { owner: info.owner, grants: [{ user: info.owner, permission: 'FULL_CONTROL' }] }
        : (JSON.parse(obj.acl) as Acl);
    verdict = decideAccess({ ...question, objectAcl });
  }
  if (!verdict.allowed) throw denied();
}

/** Looks a bucket up with its resolved access settings; NoSuchBucket when it does not exist. */
export async function bucketWithAccess(
  store: ObjectStore,
  cache: AccessCache,
  name: string,
): Promise<{ info: BucketInfo; access: ResolvedAccess }> {
  const info = await store.getBucket(name);
  if (info === undefined)
    throw new ObjectStoreError('NoSuchBucket', `The specified bucket does not exist: ${name}`, {
      BucketName: name,
    });
  return { info, access: cache.resolve(info) };
}
