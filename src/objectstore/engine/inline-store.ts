import { createHash } from 'node:crypto';
import type { EngineContext } from './context.js';
import type { ObjectRow } from '../device/index.js';
import { ObjectStoreError } from '../errors.js';
import { inlineIntact } from '../body/index.js';
import { timestampMs } from '../device/index.js';

/**
 * The verified body of an inline version. The merged row already carries one replica's copy;
 * when its MD5 does not match the ETag, every replica's copy of the same version (same row `ts`)
 * is tried, the first good one is returned and written over the damaged copies (read repair).
 * No good copy anywhere is an InternalError: a corrupt body is never served.
 */
export async function verifiedInline(
  ctx: EngineContext,
  bucket: string,
  row: ObjectRow & { data: Buffer },
): Promise<Buffer> {
  if (inlineIntact(row)) return row.data;
  const { loc, name } = ctx.bucketIndex(bucket);
  const copies = await ctx.index.query(loc, name, (idx) => idx.inlineEntry(row.key, row.vid));
  const good = copies.find((c) => c !== undefined && c.ts === row.ts && inlineIntact(c));
  if (good === undefined) {
    throw new ObjectStoreError(
      'InternalError',
      `No replica of "${row.key}" (version ${row.vid}) in bucket "${bucket}" holds an intact copy`,
      { bucket, key: row.key },
    );
  }
  await ctx.index.query(loc, name, (idx) => {
    const mine = idx.inlineEntry(row.key, row.vid);
    if (mine !== undefined && mine.ts === row.ts && !inlineIntact(mine))
      idx.repairInline(row.key, row.vid, row.ts, good.data);
  });
  return good.data;
}

/** One object of a bulk load. */
export interface InlineLoadItem {
  key: string;
  data: Buffer;
}

/**
 * Stores many new small objects in one index transaction per replica (quorum as for any index
 * write): the bulk loader behind benchmarks and imports. Keys are expected to be new: an existing
 * version of the same key is superseded by last-writer-wins, but a data file it had is not removed.
 */
export async function loadInline(
  ctx: EngineContext,
  bucket: string,
  items: readonly InlineLoadItem[],
): Promise<number> {
  const b = await ctx.requireBucket(bucket);
  const rows: ObjectRow[] = items.map(({ key, data }) => {
    const ts = ctx.stamps.next();
    return {
      key,
      vid: b.versioning === 'Enabled' ? ctx.newVersionId(ts) : 'null',
      ts,
      deleted: 0,
      vts: ts,
      size: data.length,
      etag: `"${createHash('md5').update(data).digest('hex')}"`,
      modified: timestampMs(ts),
      dm: 0,
      meta: '',
      data,
    };
  });
  const { loc, name } = ctx.bucketIndex(bucket);
  await ctx.index.write(loc, name, 'objects', rows);
  return rows.length;
}
