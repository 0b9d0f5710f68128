import { mergeRows } from '../device/index.js';
import type { DataFileRef } from '../replication/index.js';
import type { EngineContext } from './context.js';
import { parseMeta } from './stored-meta.js';

/**
 * Whether an index row names a data file, for the auditor's orphan sweep: a live version row of
 * its version id and timestamp, a live part row of its upload and part timestamp, or a live
 * version whose multipart manifest lists it. False when none does (also when its bucket is
 * gone); undefined when fewer than a quorum of the account or bucket index replicas answered,
 * since the missing ones might name it.
 */
export async function dataFileNamed(ctx: EngineContext, file: DataFileRef): Promise<boolean | undefined> {
  const quorum = ctx.placement.quorum();
  const account = ctx.accountIndex();
  const bucketSets = await ctx.index.query(account.loc, account.name, (idx) => {
    const row = idx.bucket(file.bucket);
    return row ? [row] : [];
  });
  if (bucketSets.length < quorum) return undefined;
  const bucket = mergeRows('buckets', bucketSets)[0];
  if (bucket === undefined || bucket.deleted) return false;
  const part = /^p\.(.+)\.(\d+)$/.exec(file.name);
  const { loc, name } = ctx.bucketIndex(file.bucket);
  const sets = await ctx.index.query(loc, name, (idx) => ({
    versions: idx.versionsOf(file.key),
    parts: part ? idx.parts(part[1]!) : [],
  }));
  if (sets.length < quorum) return undefined;
  const versions = mergeRows(
    'objects',
    sets.map((s) => s.versions),
  ).filter((v) => !v.deleted && !v.dm);
  if (part === null) return versions.some((v) => v.vid === file.name && v.vts === file.ts);
  const partNumber = Number(part[2]);
  const parts = mergeRows(
    'parts',
    sets.map((s) => s.parts),
  );
  return (
    parts.some((p) => !p.deleted && p.partNumber === partNumber && p.pts === file.ts) ||
    versions.some((v) => parseMeta(v.meta).manifest?.some((m) => m.name === file.name && m.pts === file.ts))
  );
}
