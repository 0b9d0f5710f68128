import { ObjectStoreError } from '../errors.js';
import type { Acl } from './acl.js';
import { compilePolicy, type CompiledPolicy } from './policy.js';

/**
 * A bucket's access settings as stored in its row (the engine keeps them as opaque JSON), and
 * their parsed, compiled form, cached by bucket and row version so that a request never parses
 * or compiles a policy. No I/O.
 */

/** The four Block Public Access switches. */
export interface PublicAccessBlock {
  blockPublicAcls: boolean;
  ignorePublicAcls: boolean;
  blockPublicPolicy: boolean;
  restrictPublicBuckets: boolean;
}

/** Object Ownership: BucketOwnerEnforced disables ACLs. */
export type ObjectOwnership = 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';

/** What the bucket row's `access` JSON holds; every field optional (absent: the default). */
export interface BucketAccess {
  acl?: Acl;
  /** The policy document as the owner sent it. */
  policy?: string;
  publicAccessBlock?: PublicAccessBlock;
  ownership?: ObjectOwnership;
}

/** The settings ready for a request: the ACL defaulted, the policy compiled. */
export interface ResolvedAccess {
  stored: BucketAccess;
  acl: Acl;
  policy: CompiledPolicy | undefined;
  publicAccessBlock: PublicAccessBlock | undefined;
  ownership: ObjectOwnership;
}

/** Parses a bucket's access JSON ('' or absent: private, no policy). */
export function parseBucketAccess(json: string | undefined): BucketAccess {
  if (json === undefined || json === '') return {};
  return JSON.parse(json) as BucketAccess;
}

/** The JSON the engine stores ('' for the defaults). */
export function serializeBucketAccess(access: BucketAccess): string {
  const clean: BucketAccess = {};
  if (access.acl !== undefined) clean.acl = access.acl;
  if (access.policy !== undefined) clean.policy = access.policy;
  if (access.publicAccessBlock !== undefined) clean.publicAccessBlock = access.publicAccessBlock;
  if (access.ownership !== undefined) clean.ownership = access.ownership;
  return Object.keys(clean).length === 0 ? '' : JSON.stringify(clean);
}

/**
 * Resolved settings by bucket name, valid while the bucket row's version is the one they were
 * built from; bounded (starts over when full).
 */
export class AccessCache {
  private readonly entries = new Map<string, { version: string; access: ResolvedAccess }>();

  /** The resolved settings of a bucket row (name, owner, version and access JSON). */
  resolve(bucket: { name: string; owner: string; version: string; access?: string }): ResolvedAccess {
    const hit = this.entries.get(bucket.name);
    if (hit !== undefined && hit.version === bucket.version) return hit.access;
    const stored = parseBucketAccess(bucket.access);
    let policy: CompiledPolicy | undefined;
    if (stored.policy !== undefined) {
      try {
        policy = compilePolicy(bucket.name, stored.policy);
      } catch (err) {
        // Stored policies were validated when put; one that no longer compiles (a newer, stricter
        // parser) grants nothing, and the owner can still read, replace or delete it.
        if (!(err instanceof ObjectStoreError)) throw err;
        policy = {
          text: stored.policy,
          statements: [],
          isPublic: false,
          keys: new Set(),
          readsObjectTags: false,
          byAction: new Map(),
        };
      }
    }
    const access: ResolvedAccess = {
      stored,
      acl: stored.acl ?? {
        owner: bucket.owner,
        grants: [{ user: bucket.owner, permission: 'FULL_CONTROL' }],
      },
      policy,
      publicAccessBlock: stored.publicAccessBlock,
      ownership: stored.ownership ?? 'ObjectWriter',
    };
    if (this.entries.size >= 10_000) this.entries.clear();
    this.entries.set(bucket.name, { version: bucket.version, access });
    return access;
  }
}
