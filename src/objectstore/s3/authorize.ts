import { aclAllows, type Acl, type AclPermission } from './acl.js';
import type { ResolvedAccess } from './bucket-access.js';
import { evaluatePolicy, type PolicyRequest } from './policy.js';
import type { S3Operation } from './routes.js';

/**
 * Who may do what to a bucket and its objects, as S3 decides it for one request: the bucket
 * owner may do anything its bucket policy does not explicitly deny; anyone else (another user,
 * or an anonymous request) needs a policy Allow or an ACL grant, and an explicit Deny beats
 * both. Block Public Access and Object Ownership trim what policies and ACLs count for. No I/O.
 */

/** What an operation needs: its IAM action, and the ACL permission (on the bucket or object) that also grants it. */
export interface OperationAccess {
  action: string;
  /** Which ACL can grant it; undefined: only the owner or a policy. */
  acl?: { on: 'bucket' | 'object'; permission: AclPermission };
  /** Operations the bucket owner can always run, whatever its policy says (no lock-out). */
  ownerAlways?: boolean;
}

type AclNeed = NonNullable<OperationAccess['acl']>;
const B = (permission: AclPermission): AclNeed => ({ on: 'bucket', permission });
const O = (permission: AclPermission): AclNeed => ({ on: 'object', permission });

/** Every bucket or object operation's IAM action and ACL permission, as AWS documents them. */
export const OPERATION_ACCESS: Partial<Record<S3Operation, OperationAccess>> = {
  HeadBucket: { action: 's3:ListBucket', acl: B('READ') },
  ListObjects: { action: 's3:ListBucket', acl: B('READ') },
  ListObjectsV2: { action: 's3:ListBucket', acl: B('READ') },
  ListObjectVersions: { action: 's3:ListBucketVersions', acl: B('READ') },
  ListMultipartUploads: { action: 's3:ListBucketMultipartUploads', acl: B('READ') },
  DeleteBucket: { action: 's3:DeleteBucket' },
  GetBucketLocation: { action: 's3:GetBucketLocation' },
  GetBucketVersioning: { action: 's3:GetBucketVersioning' },
  PutBucketVersioning: { action: 's3:PutBucketVersioning' },
  GetBucketCors: { action: 's3:GetBucketCORS' },
  PutBucketCors: { action: 's3:PutBucketCORS' },
  DeleteBucketCors: { action: 's3:PutBucketCORS' },
  GetBucketLifecycleConfiguration: { action: 's3:GetLifecycleConfiguration' },
  PutBucketLifecycleConfiguration: { action: 's3:PutLifecycleConfiguration' },
  DeleteBucketLifecycle: { action: 's3:PutLifecycleConfiguration' },
  GetBucketAcl: { action: 's3:GetBucketAcl', acl: B('READ_ACP') },
  PutBucketAcl: { action: 's3:PutBucketAcl', acl: B('WRITE_ACP') },
  GetBucketPolicy: { action: 's3:GetBucketPolicy', ownerAlways: true },
  PutBucketPolicy: { action: 's3:PutBucketPolicy', ownerAlways: true },
  DeleteBucketPolicy: { action: 's3:DeleteBucketPolicy', ownerAlways: true },
  GetBucketPolicyStatus: { action: 's3:GetBucketPolicyStatus', ownerAlways: true },
  GetPublicAccessBlock: { action: 's3:GetBucketPublicAccessBlock' },
  PutPublicAccessBlock: { action: 's3:PutBucketPublicAccessBlock' },
  DeletePublicAccessBlock: { action: 's3:PutBucketPublicAccessBlock' },
  GetBucketOwnershipControls: { action: 's3:GetBucketOwnershipControls' },
  PutBucketOwnershipControls: { action: 's3:PutBucketOwnershipControls' },
  DeleteBucketOwnershipControls: { action: 's3:PutBucketOwnershipControls' },
  DeleteObjects: { action: 's3:DeleteObject', acl: B('WRITE') },
  PutObject: { action: 's3:PutObject', acl: B('WRITE') },
  CopyObject: { action: 's3:PutObject', acl: B('WRITE') },
  CreateMultipartUpload: { action: 's3:PutObject', acl: B('WRITE') },
  UploadPart: { action: 's3:PutObject', acl: B('WRITE') },
  UploadPartCopy: { action: 's3:PutObject', acl: B('WRITE') },
  CompleteMultipartUpload: { action: 's3:PutObject', acl: B('WRITE') },
  AbortMultipartUpload: { action: 's3:AbortMultipartUpload', acl: B('WRITE') },
  ListParts: { action: 's3:ListMultipartUploadParts', acl: B('READ') },
  DeleteObject: { action: 's3:DeleteObject', acl: B('WRITE') },
  GetObject: { action: 's3:GetObject', acl: O('READ') },
  HeadObject: { action: 's3:GetObject', acl: O('READ') },
  GetObjectAttributes: { action: 's3:GetObjectAttributes', acl: O('READ') },
  GetObjectAcl: { action: 's3:GetObjectAcl', acl: O('READ_ACP') },
  PutObjectAcl: { action: 's3:PutObjectAcl', acl: O('WRITE_ACP') },
  GetObjectTagging: { action: 's3:GetObjectTagging' },
  PutObjectTagging: { action: 's3:PutObjectTagging' },
  DeleteObjectTagging: { action: 's3:DeleteObjectTagging' },
};

/** One request's access question. */
export interface AccessQuestion {
  /** The requester; undefined when anonymous. */
  user: string | undefined;
  /** The bucket's owner. */
  owner: string;
  access: ResolvedAccess;
  need: OperationAccess;
  /** The policy request (action and resource filled from `need` by the caller). */
  request: PolicyRequest;
  /** The object's ACL, for operations whose ACL permission is on the object (undefined: none). */
  objectAcl?: Acl | undefined;
}

/** The verdict and, for the logs and tests, what decided it. */
export interface AccessVerdict {
  allowed: boolean;
  reason: 'owner' | 'policy-allow' | 'policy-deny' | 'acl' | 'implicit-deny';
}

/** Decides one request (see the module comment for the order). */
export function decideAccess(q: AccessQuestion): AccessVerdict {
  const { access, need } = q;
  const restrict = access.publicAccessBlock?.restrictPublicBuckets === true;
  const owner = q.user !== undefined && q.user === q.owner;
  const verdict =
    access.policy === undefined
      ? undefined
      : evaluatePolicy(access.policy, q.request, { ignorePublic: restrict && !owner, denyOnly: owner });
  if (owner) {
    if (verdict === 'Deny' && need.ownerAlways !== true) return { allowed: false, reason: 'policy-deny' };
    return { allowed: true, reason: 'owner' };
  }
  if (verdict === 'Deny') return { allowed: false, reason: 'policy-deny' };
  if (verdict === 'Allow') return { allowed: true, reason: 'policy-allow' };
  if (need.acl !== undefined && access.ownership !== 'BucketOwnerEnforced') {
    const acl = need.acl.on === 'bucket' ? access.acl : q.objectAcl;
    const ignorePublic = access.publicAccessBlock?.ignorePublicAcls === true;
    if (acl !== undefined && aclAllows(acl, q.user, need.acl.permission, { ignorePublic }))
      return { allowed: true, reason: 'acl' };
  }
  return { allowed: false, reason: 'implicit-deny' };
}
