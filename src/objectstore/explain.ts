import { createHash } from 'node:crypto';
import type { EngineContext } from './context.js';
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
  /** Per data file (one, or one per part of a multipart object): where its copies are. */
  files: Array<{ name: string; copies: CopyState[] }>;
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
  const meta = parseMeta(row.meta);
  const wanted = meta.manifest?.map((p) => ({ name: p.name, ts: p.pts })) ?? [{ name: row.vid, ts: row.vts }];
  const files: ExplainResult['files'] = [];
  for (const f of wanted) {
    const copies: CopyState[] = [];
    for (const [role, list] of [
      ['primary', loc.primaries],
      ['handoff', loc.handoffs],
    ] as const) {
      for (const d of list) {
        const health = await d.check();
        if (!health.ok && health.reason === 'missing') {
          if (role === 'primary') copies.push({ device: d.id, role, state: 'device-missing' });
          continue;
        }
        const got = await d.open(loc.partition, loc.hash, f.name).catch(() => undefined);
        if (!got || 'tombstone' in got) {
          if (role === 'primary')
            copies.push({ device: d.id, role, state: health.ok ? 'missing' : 'device-full' });
          continue;
        }
        let state: CopyState['state'] = got.footer.ts < f.ts ? 'stale' : 'ok';
        if (got.footer.size < 0) state = 'corrupt';
        else {
          const md5 = createHash('md5');
          for await (const c of got.stream()) md5.update(c as Buffer);
          if (md5.digest('hex') !== got.footer.md5) state = 'corrupt';
        }
        await got.close();
        copies.push({ device: d.id, role, state, fileName: got.fileName });
      }
    }
    files.push({ name: f.name, copies });
  }
  const bi = ctx.bucketIndex(bucket);
  const replicas: ExplainResult['index']['replicas'] = [];
  for (const [role, list] of [
    ['primary', bi.loc.primaries],
    ['handoff', bi.loc.handoffs],
  ] as const) {
    for (const d of list) {
      const present = (await d.index(bi.loc.partition, bi.name, false).catch(() => undefined)) !== undefined;
      if (role === 'primary' || present) replicas.push({ device: d.id, role, present });
    }
  }
  return {
    bucket,
    key,
    versionId: row.vid,
    partition: loc.partition,
    hash: loc.hash,
    files,
    index: { partition: bi.loc.partition, replicas },
  };
}
