import { createHash } from 'node:crypto';
import type { EngineContext } from './context.js';
import type { Device } from '../device/index.js';
import type { ObjectRow } from '../device/index.js';
import { inlineIntact, isInline } from '../body/index.js';
import type { Location } from '../replication/index.js';
import { parseMeta } from './stored-meta.js';

/** The state of one copy of an object on one device. */
export interface CopyState {
  device: string;
  role: 'primary' | 'handoff';
  /** ok: present and MD5 verified; stale: an older copy; missing; corrupt; device-missing / device-full. */
  state: 'ok' | 'stale' | 'missing' | 'corrupt' | 'device-missing' | 'device-full';
  /** The stored file's name, when the device holds a copy. */
  fileName?: string;
  /** Where that file is on a local device (absolute), for operators; set by the engine. */
  path?: string;
}

/** Why an object is where it is, for `stratus explain` and the dashboard. */
export interface ExplainResult {
  bucket: string;
  key: string;
  versionId: string;
  partition: number;
  hash: string;
  /**
   * Per data file (one, or one per part of a multipart object): where its copies are. An inline
   * object has one entry named `inline`: its copies are the bucket index replicas holding its row.
   */
  files: Array<{ name: string; copies: CopyState[] }>;
  /** True when the body is stored inline in the bucket index rows (no data file). */
  inline?: boolean;
  index: {
    partition: number;
    replicas: Array<{ device: string; role: 'primary' | 'handoff'; present: boolean }>;
  };
}

/** Looks at every primary and handoff device of an object and reports each copy's health. */
export async function explainObject(
  ctx: EngineContext,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<ExplainResult> {
  await ctx.requireBucket(bucket);
  const row = await ctx.resolve(bucket, key, versionId);
  const loc = ctx.placement.object(bucket, key);
  const bi = ctx.bucketIndex(bucket);
  const meta = parseMeta(row.meta);
  const result = {
    bucket,
    key,
    versionId: row.vid,
    partition: loc.partition,
    hash: loc.hash,
    index: { partition: bi.loc.partition, replicas: await indexReplicas(ctx, bucket) },
  };
  if (isInline(row)) {
    return {
      ...result,
      files: [{ name: 'inline', copies: await inlineCopies(ctx, bucket, row) }],
      inline: true,
    };
  }
  const wanted = meta.manifest?.map((p) => ({ name: p.name, ts: p.pts })) ?? [{ name: row.vid, ts: row.vts }];
  const files: ExplainResult['files'] = [];
  for (const f of wanted) {
    const copies = await copiesOn(loc, async (d) => {
      const got = await d.open(loc.partition, loc.hash, f.name).catch(() => undefined);
      if (!got || 'tombstone' in got) return undefined;
      let state: CopyState['state'] = got.footer.ts < f.ts ? 'stale' : 'ok';
      if (got.footer.size < 0) state = 'corrupt';
      else {
        const md5 = createHash('md5');
        for await (const c of got.stream()) md5.update(c as Buffer);
        if (md5.digest('hex') !== got.footer.md5) state = 'corrupt';
      }
      await got.close();
      return { state, fileName: got.fileName };
    });
    files.push({ name: f.name, copies });
  }
  return { ...result, files };
}

type Role = CopyState['role'];

/** A location's devices with their role, primaries first. */
function byRole(loc: Location): Array<{ role: Role; device: Device }> {
  return [
    ...loc.primaries.map((device) => ({ role: 'primary' as const, device })),
    ...loc.handoffs.map((device) => ({ role: 'handoff' as const, device })),
  ];
}

/**
 * The state of a copy on each device of a location, found by `probe` (undefined: no copy there).
 * A primary without a copy is reported (missing, or its device missing or full); a handoff only
 * when it holds one.
 */
async function copiesOn(
  loc: Location,
  probe: (d: Device) => Promise<Pick<CopyState, 'state' | 'fileName'> | undefined>,
): Promise<CopyState[]> {
  const copies: CopyState[] = [];
  for (const { role, device: d } of byRole(loc)) {
    const health = await d.check();
    if (!health.ok && health.reason === 'missing') {
      if (role === 'primary') copies.push({ device: d.id, role, state: 'device-missing' });
      continue;
    }
    const found = await probe(d);
    if (found !== undefined) copies.push({ device: d.id, role, ...found });
    else if (role === 'primary')
      copies.push({ device: d.id, role, state: health.ok ? 'missing' : 'device-full' });
  }
  return copies;
}

async function indexReplicas(
  ctx: EngineContext,
  bucket: string,
): Promise<ExplainResult['index']['replicas']> {
  const bi = ctx.bucketIndex(bucket);
  const replicas: ExplainResult['index']['replicas'] = [];
  for (const { role, device: d } of byRole(bi.loc)) {
    const present = (await d.index(bi.loc.partition, bi.name, false).catch(() => undefined)) !== undefined;
    if (role === 'primary' || present) replicas.push({ device: d.id, role, present });
  }
  return replicas;
}

/** The copies of an inline body: one per bucket index replica, checked against the row's ETag. */
function inlineCopies(ctx: EngineContext, bucket: string, row: ObjectRow): Promise<CopyState[]> {
  const bi = ctx.bucketIndex(bucket);
  return copiesOn(bi.loc, async (d) => {
    const idx = await d.index(bi.loc.partition, bi.name, false).catch(() => undefined);
    const entry = idx?.inlineEntry(row.key, row.vid);
    if (entry === undefined) return undefined;
    return { state: entry.ts < row.ts ? 'stale' : inlineIntact(entry) ? 'ok' : 'corrupt' };
  });
}
