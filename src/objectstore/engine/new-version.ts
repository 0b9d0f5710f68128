import type { ObjectRow } from '../device/index.js';
import { ObjectStoreError } from '../errors.js';
import type { PutOptions } from '../object-store.js';
import type { StoredMeta } from './stored-meta.js';
import { timestampMs } from '../device/index.js';
import { etagMatches } from './validation.js';

/** A new version row (a plain object: its ETag is the body's MD5). */
export function versionRow(
  key: string,
  { vid, ts, size, md5, meta }: { vid: string; ts: string; size: number; md5: string; meta: StoredMeta },
): ObjectRow {
  return {
    key,
    vid,
    ts,
    deleted: 0,
    vts: ts,
    size,
    etag: `"${md5}"`,
    modified: timestampMs(ts),
    dm: 0,
    meta: JSON.stringify(meta),
  };
}

/** Conditional writes: If-None-Match (`*` or an ETag) and If-Match against the current version. */
export function checkPreconditions(key: string, current: ObjectRow | undefined, options: PutOptions): void {
  const live = current && !current.dm ? current : undefined;
  if (
    options.ifNoneMatch !== undefined &&
    live &&
    (options.ifNoneMatch === '*' || etagMatches(options.ifNoneMatch, live.etag))
  ) {
    throw new ObjectStoreError('PreconditionFailed', `The key "${key}" already exists (If-None-Match)`, {
      key,
    });
  }
  if (options.ifMatch !== undefined && (!live || !etagMatches(options.ifMatch, live.etag))) {
    throw new ObjectStoreError('PreconditionFailed', `The ETag of "${key}" does not match If-Match`, { key });
  }
}
