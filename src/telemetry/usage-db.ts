import Database from 'better-sqlite3';
import { decodePoints, encodePoints, type UsagePoint } from './usage-codec.js';
import { alignDown, mergePoints, rollup, USAGE_TIERS, type UsageTier } from './usage-rollup.js';

/** What is metered: a pod's containers together, or a bucket. */
export type SeriesKind = 'pod' | 'bucket';

/** Values per point: pod `[seconds, cpuMs, memKiBs]`, bucket `[seconds, storageKiBs, requests, bytesIn, bytesOut]`. */
export const SERIES_WIDTH: Record<SeriesKind, number> = { pod: 3, bucket: 5 };

/** The identity of a metered series, kept once rather than in every point. */
export interface SeriesInfo {
  /** The pod's uid, or `bucket:NAME`. */
  uid: string;
  kind: SeriesKind;
  namespace: string;
  name: string;
  /** `Kind/name` of the controlling owner, the workload (a ReplicaSet's Deployment), or the pod itself. */
  owner: string;
  labels: Record<string, string>;
  /** Summed container requests: millicores and bytes (pods' requests do not change). */
  cpuRequestMilli: number;
  memRequestBytes: number;
}

/** One series' points from every tier that overlaps a query. */
export interface SeriesUsage {
  info: SeriesInfo;
  points: { t: number; step: number; values: number[] }[];
}

/** Options of `UsageDb.open`. */
export interface UsageDbOptions {
  /** Resolutions and retentions, finest first; default `USAGE_TIERS` (15 s/1 d, 5 min/30 d, 1 h/365 d). */
  tiers?: readonly UsageTier[];
}

interface SeriesRow {
  id: number;
  uid: string;
  kind: SeriesKind;
  namespace: string;
  name: string;
  owner: string;
  labels: string;
  cpu_request: number;
  mem_request: number;
}

/**
 * Usage records in a SQLite file of their own beside the store (`DATA_DIR/usage.db`, whatever the
 * store is): a `series` row per pod or bucket and a `chunks` row per series, tier and chunk of
 * time holding delta-encoded points (`usage-codec.ts`). `compact(now)` rolls chunks that aged out
 * of a tier into the next one and drops what is older than the last, so the size is bounded by the
 * series seen in a year. Why not the store: usage is written every 15 s per pod and never watched;
 * it would bump resourceVersions and flood watch caches.
 */
export class UsageDb {
  readonly #db: Database.Database;
  readonly #tiers: readonly UsageTier[];
  readonly #ids = new Map<string, number>();
  readonly #widths = new Map<number, number>();
  readonly #kinds = new Map<number, SeriesKind>();
  /**
   * Statements prepared once: each is native memory V8 does not see, so statements prepared per
   * call piled up between collections (several MB of RSS on a `stratus up` with 50 pods).
   */
  readonly #statements = new Map<string, Database.Statement>();

  private constructor(db: Database.Database, tiers: readonly UsageTier[]) {
    this.#db = db;
    this.#tiers = tiers;
  }

  /** Opens (creating) the usage database at `path` (`:memory:` for a throwaway one). */
  static open(path: string, options: UsageDbOptions = {}): UsageDb {
    const db = new Database(path);
    // Both set before the first table exists. Small pages: a series' chunks are a few hundred
    // bytes, and 4 KiB pages left most of each leaf unused (236 B a pod-day against 183 B with
    // 1 KiB pages, measured by bench/usage.ts). compact() returns freed pages to the file system.
    db.pragma('page_size = 1024');
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS series (
        id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, namespace TEXT NOT NULL,
        name TEXT NOT NULL, owner TEXT NOT NULL, labels TEXT NOT NULL,
        cpu_request INTEGER NOT NULL, mem_request INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS chunks (
        tier INTEGER NOT NULL, start INTEGER NOT NULL, series INTEGER NOT NULL, data BLOB NOT NULL,
        UNIQUE (tier, start, series));`);
    const out = new UsageDb(db, options.tiers ?? USAGE_TIERS);
    for (const row of db.prepare('SELECT id, uid, kind FROM series').all() as SeriesRow[]) {
      out.#ids.set(row.uid, row.id);
      out.#widths.set(row.id, SERIES_WIDTH[row.kind]);
      out.#kinds.set(row.id, row.kind);
    }
    return out;
  }

  #prepare(sql: string): Database.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) this.#statements.set(sql, (stmt = this.#db.prepare(sql)));
    return stmt;
  }

  /** The id of a series, recording (or refreshing) its identity. */
  series(info: SeriesInfo): number {
    const row = {
      uid: info.uid,
      kind: info.kind,
      namespace: info.namespace,
      name: info.name,
      owner: info.owner,
      labels: JSON.stringify(info.labels),
      cpu_request: Math.round(info.cpuRequestMilli),
      mem_request: Math.round(info.memRequestBytes),
    };
    this.#prepare(
      `INSERT INTO series (uid, kind, namespace, name, owner, labels, cpu_request, mem_request)
         VALUES (@uid, @kind, @namespace, @name, @owner, @labels, @cpu_request, @mem_request)
         ON CONFLICT (uid) DO UPDATE SET owner = excluded.owner, labels = excluded.labels
         WHERE owner != excluded.owner OR labels != excluded.labels`,
    ).run(row);
    let id = this.#ids.get(info.uid);
    if (id === undefined) {
      id = (this.#prepare('SELECT id FROM series WHERE uid = ?').get(info.uid) as { id: number }).id;
      this.#ids.set(info.uid, id);
      this.#widths.set(id, SERIES_WIDTH[info.kind]);
      this.#kinds.set(id, info.kind);
    }
    return id;
  }

  #format(tier: UsageTier, series: number): { step: number; width: number; quanta?: readonly number[] } {
    const kind = this.#kinds.get(series) ?? 'pod';
    const format = { step: tier.step, width: this.#widths.get(series) ?? 0 };
    return tier.quanta === undefined ? format : { ...format, quanta: tier.quanta[kind] };
  }

  #read(tier: number, start: number, series: number): UsagePoint[] {
    const row = this.#prepare('SELECT data FROM chunks WHERE tier = ? AND start = ? AND series = ?').get(
      tier,
      start,
      series,
    ) as { data: Buffer } | undefined;
    const t = this.#tiers[tier];
    if (row === undefined || t === undefined) return [];
    return decodePoints(row.data, this.#format(t, series));
  }

  #write(tier: number, start: number, series: number, points: UsagePoint[]): void {
    const t = this.#tiers[tier];
    if (t === undefined) return;
    const data = encodePoints(points, this.#format(t, series));
    this.#prepare('INSERT OR REPLACE INTO chunks (tier, start, series, data) VALUES (?, ?, ?, ?)').run(
      tier,
      start,
      series,
      data,
    );
  }

  /** Adds points into `tier`'s chunks, summing with what is there (one transaction per call). */
  #add(tier: number, series: number, points: readonly UsagePoint[]): void {
    const t = this.#tiers[tier];
    if (t === undefined || points.length === 0) return;
    const byChunk = new Map<number, UsagePoint[]>();
    for (const p of rollup(points, t.step)) {
      const start = alignDown(p.t, t.chunk);
      const list = byChunk.get(start) ?? [];
      list.push(p);
      byChunk.set(start, list);
    }
    for (const [start, list] of byChunk)
      this.#write(tier, start, series, mergePoints(this.#read(tier, start, series), list, t.step));
  }

  /**
   * Records raw samples: per series, points at any time (seconds) with the series' values, summed
   * into the finest tier. Batch a round's samples into one call: it is one transaction.
   */
  append(records: readonly { series: number; points: readonly UsagePoint[] }[]): void {
    this.#db.transaction(() => {
      for (const r of records) this.#add(0, r.series, r.points);
    })();
  }

  /**
   * Moves chunks that aged out of a tier into the next (summed at its step) and drops chunks older
   * than the last tier's retention, then series left without chunks. `now` in seconds.
   */
  compact(now: number): void {
    this.#db.transaction(() => {
      this.#tiers.forEach((tier, i) => {
        const rows = this.#prepare('SELECT start, series FROM chunks WHERE tier = ? AND start <= ?').all(
          i,
          now - tier.retention - tier.chunk,
        ) as { start: number; series: number }[];
        for (const { start, series } of rows) {
          if (i + 1 < this.#tiers.length) this.#add(i + 1, series, this.#read(i, start, series));
          this.#prepare('DELETE FROM chunks WHERE tier = ? AND start = ? AND series = ?').run(
            i,
            start,
            series,
          );
        }
      });
      const gone = this.#prepare(
        'SELECT id, uid FROM series WHERE id NOT IN (SELECT DISTINCT series FROM chunks)',
      ).all() as { id: number; uid: string }[];
      for (const g of gone) {
        this.#prepare('DELETE FROM series WHERE id = ?').run(g.id);
        this.#ids.delete(g.uid);
        this.#widths.delete(g.id);
        this.#kinds.delete(g.id);
      }
    })();
    this.#db.pragma('incremental_vacuum');
  }

  /** Every series with points in `[from, to)` seconds (optionally of one kind and namespace). */
  query(opts: { from: number; to: number; kind?: SeriesKind; namespace?: string }): SeriesUsage[] {
    const rows = this.#prepare('SELECT * FROM series').all() as SeriesRow[];
    const out = new Map<number, SeriesUsage>();
    for (const r of rows) {
      if (opts.kind !== undefined && r.kind !== opts.kind) continue;
      if (opts.namespace !== undefined && r.namespace !== opts.namespace) continue;
      const info: SeriesInfo = {
        uid: r.uid,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        owner: r.owner,
        labels: JSON.parse(r.labels) as Record<string, string>,
        cpuRequestMilli: r.cpu_request,
        memRequestBytes: r.mem_request,
      };
      out.set(r.id, { info, points: [] });
    }
    this.#tiers.forEach((tier, i) => {
      const chunks = this.#prepare(
        'SELECT start, series, data FROM chunks WHERE tier = ? AND start > ? AND start < ?',
      ).all(i, opts.from - tier.chunk, opts.to) as { start: number; series: number; data: Buffer }[];
      for (const c of chunks) {
        const s = out.get(c.series);
        if (s === undefined) continue;
        for (const p of decodePoints(c.data, this.#format(tier, c.series)))
          if (p.t >= opts.from && p.t < opts.to) s.points.push({ t: p.t, step: tier.step, values: p.values });
      }
    });
    return [...out.values()].filter((s) => s.points.length > 0);
  }

  /** Bytes of encoded points per tier, and the rows holding them (for the size bound). */
  stats(): { tier: number; chunks: number; bytes: number }[] {
    return this.#prepare(
      'SELECT tier, COUNT(*) AS chunks, SUM(LENGTH(data)) AS bytes FROM chunks GROUP BY tier ORDER BY tier',
    ).all() as { tier: number; chunks: number; bytes: number }[];
  }

  /** Closes the database file. */
  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
