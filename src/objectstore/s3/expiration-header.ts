import { type S3Context, httpDate } from './context.js';
import { expiryOf } from '../index.js';
import type { ObjectInfo } from '../object-store.js';

/**
 * `x-amz-expiration` for the current version of an object that a lifecycle Expiration rule
 * matches: when it expires (by S3's 24-hour days; see lifecycle.ts) and the rule's id,
 * URL-encoded, as AWS writes it. Adds nothing for a bucket without such rules or a version
 * asked for by id.
 */
export function addExpirationHeader(ctx: S3Context, info: ObjectInfo, headers: Record<string, string>): void {
  const rules = ctx.bucketInfo?.lifecycle;
  if (rules === undefined || ctx.query.has('versionId') || info.isDeleteMarker === true) return;
  const e = expiryOf(rules, { ...info, modifiedMs: info.lastModified.getTime() });
  if (e === undefined) return;
  headers['x-amz-expiration'] =
    `expiry-date="${httpDate(new Date(e.at))}", rule-id="${encodeURIComponent(e.rule)}"`;
}
