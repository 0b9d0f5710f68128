import Database from 'better-sqlite3';
import {
  INDEX_SCHEMA,
  type IndexTable,
  type IndexTables,
  type ObjectRow,
  type UploadRow,
} from './index-rows.js';

/** Options of a listing query on one index replica. */
export interface KeyRange {
  /** Keys strictly after this one. */
  after?: string;
  /** Keys from this one (inclusive). */
  from?: string;
  prefix?: string;
  limit: number;
}

const DDL = `
CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, ts TEXT NOT NULL, deleted INTEGER NOT NULL,
  owner TEXT NOT NULL, created INTEGER NOT NULL, versioning TEXT NOT NULL, cors TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (key TEXT NOT NULL, vid TEXT NOT NULL, ts TEXT NOT NULL, deleted INTEGER NOT NULL,
  vts TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, modified INTEGER NOT NULL, dm INTEGER NOT NULL,
  meta TEXT NOT NULL, PRIMARY KEY (key, vid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_key_vts ON objects (key, deleted, vts);
CREATE INDEX IF NOT EXISTS objects_ts ON objects (ts);
CREATE TABLE IF NOT EXISTS uploads (uploadId TEXT PRIMARY KEY, ts TEXT NOT NULL, deleted INTEGER NOT NULL,
  key TEXT NOT NULL, initiated INTEGER NOT NULL, owner TEXT NOT NULL, meta TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS uploads_key ON uploads (key, uploadId);
CREATE TABLE IF NOT EXISTS parts (uploadId TEXT NOT NULL, partNumber INTEGER NOT NULL, ts TEXT NOT NULL,
  deleted INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, modified INTEGER NOT NULL, pts TEXT NOT NULL,
  checksum TEXT NOT NULL, PRIMARY KEY (uploadId, partNumber)) WITHOUT ROWID;
`;

/**
 * One replica of an index database (SQLite, WAL): the account index (buckets) or a bucket index
 * (object versions, uploads, parts). Writes are last-writer-wins upserts, so the same rows can be
 * applied to every replica by the engine and again by the replicator without harm. Queries here
 * read one replica; the engine merges or repairs replicas before trusting one.
 */
export class BucketIndex {
  private readonly db: Database.Database;
  private readonly upserts = new Map<IndexTable, Database.Statement>();

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(DDL);
  }

  /** Applies rows last-writer-wins (a row replaces the stored one only when its `ts` is newer). */
  apply<T extends IndexTable>(table: T, rows: Array<IndexTables[T]>): void {
    let stmt = this.upserts.get(table);
    if (!stmt) {
      const { columns, key } = INDEX_SCHEMA[table];
      const sets = columns.filter((c) => !key.includes(c as never)).map((c) => `${c} = excluded.${c}`);
      stmt = this.db.prepare(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})
         ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${sets.join(', ')} WHERE excluded.ts > ${table}.ts`,
      );
      this.upserts.set(table, stmt);
    }
    const s = stmt;
    this.db.transaction(() => {
      for (const row of rows) s.run(row);
    })();
  }

  /**
   * Applies several tables' rows in one transaction (one commit, one WAL fsync): the group
   * commit of writes that arrived together. All or nothing.
   */
  applyBatch(items: ReadonlyArray<{ table: IndexTable; rows: Array<IndexTables[IndexTable]> }>): void {
    this.db.transaction(() => {
      for (const { table, rows } of items) this.apply(table, rows);
    })();
  }

  /** Every row of a table (tombstones included), for replication. */
  exportRows<T extends IndexTable>(table: T, afterTs = ''): Array<IndexTables[T]> {
    return this.db.prepare(`SELECT * FROM ${table} WHERE ts > ? ORDER BY ts`).all(afterTs) as Array<
      IndexTables[T]
    >;
  }

  /** A cheap summary that differs between replicas that hold different rows (almost always). */
  fingerprint(): string {
    const parts: string[] = [];
    for (const t of Object.keys(INDEX_SCHEMA)) {
      const r = this.db.prepare(`SELECT count(*) AS n, max(ts) AS m FROM ${t}`).get() as {
        n: number;
        m: string | null;
      };
      parts.push(`${r.n}:${r.m ?? ''}`);
    }
    return parts.join('/');
  }

  /** One row by primary key value(s), tombstones included. */
  bucket(name: string): IndexTables['buckets'] | undefined {
    return this.db.prepare('SELECT * FROM buckets WHERE name = ?').get(name) as
      IndexTables['buckets'] | undefined;
  }

  /** Every bucket row (tombstones included). */
  buckets(): Array<IndexTables['buckets']> {
    return this.db.prepare('SELECT * FROM buckets ORDER BY name').all() as Array<IndexTables['buckets']>;
  }

  /** All rows of one key (every version, tombstones included). */
  versionsOf(key: string): ObjectRow[] {
    return this.db.prepare('SELECT * FROM objects WHERE key = ?').all(key) as ObjectRow[];
  }

  /** The current version of each key in a range (delete markers included), in key order. */
  latest(range: KeyRange): ObjectRow[] {
    const { where, params } = rangeSql(range);
    return this.db
      .prepare(
        `SELECT o.* FROM objects o WHERE o.deleted = 0 ${where}
         AND o.vts = (SELECT max(i.vts) FROM objects i WHERE i.key = o.key AND i.deleted = 0)
         ORDER BY o.key LIMIT ?`,
      )
      .all(...params, range.limit) as ObjectRow[];
  }

  /** Every live version in a range, by key then newest first. */
  versions(range: KeyRange): ObjectRow[] {
    const { where, params } = rangeSql(range);
    return this.db
      .prepare(`SELECT o.* FROM objects o WHERE o.deleted = 0 ${where} ORDER BY o.key, o.vts DESC LIMIT ?`)
      .all(...params, range.limit) as ObjectRow[];
  }

  /** Live versions and delete markers, current ones, byte totals. */
  usage(): { objects: number; bytes: number } {
    const r = this.db
      .prepare(
        `SELECT count(*) AS n, coalesce(sum(o.size), 0) AS b FROM objects o WHERE o.deleted = 0 AND o.dm = 0
         AND o.vts = (SELECT max(i.vts) FROM objects i WHERE i.key = o.key AND i.deleted = 0)`,
      )
      .get() as { n: number; b: number };
    return { objects: r.n, bytes: r.b };
  }

  /** True when any live version, delete marker or upload remains. */
  hasContent(): boolean {
    const o = this.db.prepare('SELECT 1 FROM objects WHERE deleted = 0 LIMIT 1').get();
    const u = this.db.prepare('SELECT 1 FROM uploads WHERE deleted = 0 LIMIT 1').get();
    return o !== undefined || u !== undefined;
  }

  /** Live uploads in key order then upload id. */
  uploads(range: KeyRange & { uploadIdMarker?: string }): UploadRow[] {
    const { where, params } = rangeSql(range, 'u');
    return this.db
      .prepare(`SELECT u.* FROM uploads u WHERE u.deleted = 0 ${where} ORDER BY u.key, u.uploadId LIMIT ?`)
      .all(...params, range.limit) as UploadRow[];
  }

  /** One upload row (tombstones included). */
  upload(uploadId: string): UploadRow | undefined {
    return this.db.prepare('SELECT * FROM uploads WHERE uploadId = ?').get(uploadId) as UploadRow | undefined;
  }

  /** Every part row of an upload (tombstones included). */
  parts(uploadId: string): Array<IndexTables['parts']> {
    return this.db
      .prepare('SELECT * FROM parts WHERE uploadId = ? ORDER BY partNumber')
      .all(uploadId) as Array<IndexTables['parts']>;
  }

  /** Drops deleted rows (tombstones) written before `beforeTs`; returns how many went. */
  purgeDeleted(beforeTs: string): number {
    let n = 0;
    for (const t of Object.keys(INDEX_SCHEMA)) {
      n += this.db.prepare(`DELETE FROM ${t} WHERE deleted = 1 AND ts < ?`).run(beforeTs).changes;
    }
    return n;
  }

  /** Closes the database handle. */
  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}

function rangeSql(range: KeyRange, alias = 'o'): { where: string; params: string[] } {
  const clauses: string[] = [];
  const params: string[] = [];
  if (range.after !== undefined) {
    clauses.push(`${alias}.key > ?`);
    params.push(range.after);
  }
  if (range.from !== undefined) {
    clauses.push(`${alias}.key >= ?`);
    params.push(range.from);
  }
  if (range.prefix) {
    clauses.push(`${alias}.key >= ? AND substr(${alias}.key, 1, length(?)) = ?`);
    params.push(range.prefix, range.prefix, range.prefix);
  }
  return { where: clauses.map((c) => 'AND ' + c).join(' '), params };
}
