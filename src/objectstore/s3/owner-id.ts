import { createHash } from 'node:crypto';

const ids = new Map<string, string>();

/**
 * A user's canonical id as S3 reports it (64 hex digits, stable for the user's name), so that
 * clients that parse AWS's `Owner/ID` see the shape they expect. Cached: the listings of one
 * owner compute it once.
 */
export function canonicalId(user: string): string {
  let id = ids.get(user);
  if (id === undefined) {
    id = createHash('sha256').update(`stratus-user:${user}`).digest('hex');
    if (ids.size >= 10_000) ids.clear();
    ids.set(user, id);
  }
  return id;
}
