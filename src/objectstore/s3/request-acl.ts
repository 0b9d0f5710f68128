import { ObjectStoreError } from '../errors.js';
import { cannedAcl, grantHeadersAcl, hasGrantHeaders, isPublicAcl, type Acl } from './acl.js';
import type { ResolvedAccess } from './bucket-access.js';
import { header, type S3Context } from './context.js';

/**
 * The ACL a request asks for with `x-amz-acl` or `x-amz-grant-*` (both at once is
 * InvalidRequest), or undefined when it asks for none. `owner` owns the new resource.
 */
export function aclFromHeaders(ctx: S3Context, owner: string, bucketOwner: string): Acl | undefined {
  const canned = header(ctx, 'x-amz-acl');
  const get = (name: string): string | undefined => header(ctx, name);
  const grants = hasGrantHeaders(get);
  if (canned !== undefined && grants)
    throw new ObjectStoreError(
      'InvalidRequest',
      'Specifying both Canned ACLs and Header Grants is not allowed',
    );
  if (canned !== undefined) return cannedAcl(canned.trim(), owner, bucketOwner);
  if (grants) return grantHeadersAcl(get, owner, ctx.grantees);
  return undefined;
}

/**
 * Refuses an ACL the bucket's settings do not take: any ACL but the bucket owner's full control
 * under BucketOwnerEnforced (AccessControlListNotSupported), a public one under BlockPublicAcls
 * (AccessDenied).
 */
export function checkAclAllowed(access: ResolvedAccess | undefined, acl: Acl, bucketOwner: string): void {
  if (access === undefined) return;
  if (access.ownership === 'BucketOwnerEnforced') {
    const ownerOnly = acl.grants.every(
      (g) => 'user' in g && g.user === bucketOwner && g.permission === 'FULL_CONTROL',
    );
    if (!ownerOnly)
      throw new ObjectStoreError('AccessControlListNotSupported', 'The bucket does not allow ACLs');
  }
  if (access.publicAccessBlock?.blockPublicAcls === true && isPublicAcl(acl))
    throw new ObjectStoreError(
      'AccessDenied',
      'Access Denied: Block Public Access forbids public ACLs on this bucket',
    );
}

/**
 * The ACL to store with a new object (PutObject, CopyObject, CreateMultipartUpload) as JSON, or
 * undefined for the default (private to the bucket owner). The writer owns the object unless the
 * bucket enforces (or prefers, with bucket-owner-full-control) the bucket owner's ownership.
 */
export function newObjectAcl(ctx: S3Context): string | undefined {
  const bucketOwner = ctx.bucketInfo?.owner ?? ctx.user;
  const access = ctx.access;
  const enforced = access?.ownership === 'BucketOwnerEnforced';
  const canned = header(ctx, 'x-amz-acl');
  const preferred =
    access?.ownership === 'BucketOwnerPreferred' && canned?.trim() === 'bucket-owner-full-control';
  const writer = enforced || preferred ? bucketOwner : ctx.user;
  const acl = aclFromHeaders(ctx, writer, bucketOwner);
  if (acl !== undefined) checkAclAllowed(access, acl, bucketOwner);
  if (enforced) return undefined;
  if (acl === undefined)
    return writer === bucketOwner ? undefined : JSON.stringify(cannedAcl('private', writer, bucketOwner));
  return JSON.stringify(acl);
}
