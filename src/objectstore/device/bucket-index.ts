import Database from 'better-sqlite3';
import {
  INDEX_SCHEMA,
  type BucketRow,
  type IndexTable,
  type IndexTables,
  type ObjectRow,
  type UploadRow,
} from './index-rows.js';
import { WalSync } from '../../common/wal-sync.js';

/** The current version of a key as ListObjects needs it (`BucketIndex.listing`). */
export interface ListingRow {
  key: string;
  size: number;
  etag: string;
  modified: number;
  dm: number;
  /** The additional checksum's algorithm, or null. */
  checksumAlgorithm: string | null;
}

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
  owner TEXT NOT NULL, created INTEGER NOT NULL, versioning TEXT NOT NULL, cors TEXT NOT NULL,
  access TEXT NOT NULL DEFAULT '', lifecycle TEXT NOT NULL DEFAULT '');
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
CREATE TABLE IF NOT EXISTS inline (key TEXT NOT NULL, vid TEXT NOT NULL, data BLOB NOT NULL, UNIQUE (key, vid));
`;

/**
 * Brings an index written by an earlier version up to the current DDL: columns added since are
 * appended with their defaults (SQLite adds a column without rewriting the table).
 */
function migrate(db: Database.Database): void {
  const columns = db.pragma('table_info(buckets)') as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'access'))
    db.exec("ALTER TABLE buckets ADD COLUMN access TEXT NOT NULL DEFAULT ''");
  if (!columns.some((c) => c.name === 'lifecycle'))
    db.exec("ALTER TABLE buckets ADD COLUMN lifecycle TEXT NOT NULL DEFAULT ''");
}

/** An inline body with what verifies it: its version row's key, ids and ETag. */
export interface InlineEntry {
  key: string;
  vid: string;
  ts: string;
  etag: string;
  data: Buffer;
}

/** Counts changes to `buckets` tables in this process (see bucketTablesVersion). */
let bucketTableChanges = 0;

/**
 * A number that changes whenever a `buckets` table of this process may have changed: rows
 * applied or purged, or an index opened or closed. The engine's bucket lookups are cached under
 * it (one process owns a device, so every change passes through here).
 */
export function bucketTablesVersion(): number {
  return bucketTableChanges;
}

/** `replaces` (index-rows.ts) for version rows, as an SQL condition of an update. */
const OBJECT_NEWER =
  '(@vts > vts OR (@vts = vts AND (@deleted > deleted OR (@deleted = deleted AND @ts > ts))))';

/**
 * One replica of an index database (SQLite, WAL): the account index (buckets) or a bucket index
 * (object versions, uploads, parts). Writes are last-writer-wins upserts, so the same rows can be
 * applied to every replica by the engine and again by the replicator without harm. Queries here
 * read one replica; the engine merges or repairs replicas before trusting one.
 *
 * Small objects keep their body in the `inline` table, keyed like their version row and written
 * in the same transaction whenever that row changes (a tombstone or a file version removes it),
 * so the body always belongs to the row it sits beside. Listings never touch that table, so
 * inline bodies do not slow key scans; `exportRows` and `versionsOf` join it back in.
 * Statements are prepared once per handle (the hot path runs a handful per request).
 *
 * Durability is asynchronous group commit: a transaction commits into the WAL without an fsync
 * (`synchronous = NORMAL`), and `durable()` fdatasyncs the WAL in libuv's thread pool; every
 * commit made before that sync started is then on disk. Writers are acknowledged only after it
 * (IndexWriteBatcher), so the event loop never blocks on a disk flush and one flush serves every
 * commit that arrived meanwhile.
 */
export class BucketIndex {
  private readonly db: Database.Database;
  /** Rows per table, counted once on the first fingerprint and then kept by apply and purge. */
  private counts: Record<IndexTable, number> | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly upserts = new Map<
    IndexTable,
    { insert: Database.Statement; update: Database.Statement }
  >();
  private readonly walSync: WalSync;

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.walSync = new WalSync(file);
    // One process owns a device: holding the lock for the handle's life (set before the WAL is
    // first read, so the WAL index lives in heap memory) spares each query the shared-memory
    // lock syscalls, which cost several times the lookup itself.
    this.db.pragma('locking_mode = EXCLUSIVE');
    this.db.pragma('journal_mode = WAL');
    // Commits only write the WAL; `durable()` fsyncs it off the main thread for a whole group of
    // commits at once. Checkpoints still sync the WAL before and the database after copying.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // The statement journal (what undoes one statement inside a batch's transaction) stays in
    // memory: on disk it spilled to a temp file past 64 KiB, several page-sized writes per PUT
    // that no crash recovery ever reads (it dies with the transaction).
    this.db.pragma('temp_store = MEMORY');
    this.db.exec(DDL);
    migrate(this.db);
    bucketTableChanges++;
  }

  /**
   * Applies rows last-writer-wins (a row replaces the stored one only when it is newer, by
   * `replaces` in index-rows.ts: version rows by `vts`, then deletion, then `ts`):
   * an insert that skips an existing key, then an update guarded by `ts` for those. Knowing which
   * rows were new keeps the row counts of `fingerprint` without a scan.
   */
  apply<T extends IndexTable>(table: T, rows: Array<IndexTables[T]>): void {
    const { insert, update } = this.upsertOf(table);
    const counts = this.counts;
    const objects = table === 'objects';
    const put = objects
      ? this.stmt(
          'INSERT INTO inline (key, vid, data) VALUES (?, ?, ?) ON CONFLICT (key, vid) DO UPDATE SET data = excluded.data',
        )
      : undefined;
    const drop = objects ? this.stmt('DELETE FROM inline WHERE key = ? AND vid = ?') : undefined;
    if (table === 'buckets') {
      bucketTableChanges++;
      // A row from a replica that predates the access or lifecycle column carries none: a private
      // bucket without lifecycle rules.
      rows = rows.map((r) => {
        const b = r as BucketRow;
        return b.access === undefined || b.lifecycle === undefined
          ? ({ ...b, access: b.access ?? '', lifecycle: b.lifecycle ?? '' } as IndexTables[T])
          : r;
      });
    }
    this.guarded(() => {
      for (const row of rows) {
        let changed = insert.run(row).changes > 0;
        if (changed) {
          if (counts) counts[table]++;
        } else changed = update.run(row).changes > 0;
        // The inline body follows its row: only when the row itself changed.
        if (!changed || !put || !drop) continue;
        const o = row as ObjectRow;
        if (o.data != null && !o.deleted) put.run(o.key, o.vid, o.data);
        else drop.run(o.key, o.vid);
      }
    });
  }

  /** Runs a transaction; a rollback forgets the row counts (recounted on the next fingerprint). */
  private guarded(fn: () => void): void {
    try {
      this.db.transaction(fn)();
    } catch (err) {
      this.counts = undefined;
      throw err;
    }
  }

  private upsertOf(table: IndexTable): { insert: Database.Statement; update: Database.Statement } {
    const known = this.upserts.get(table);
    if (known !== undefined) return known;
    const { columns, key } = INDEX_SCHEMA[table];
    const others = columns.filter((c) => !key.includes(c as never));
    const upsert = {
      insert: this.stmt(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})
         ON CONFLICT (${key.join(', ')}) DO NOTHING`,
      ),
      update: this.stmt(
        `UPDATE ${table} SET ${others.map((c) => `${c} = @${c}`).join(', ')}
         WHERE ${key.map((c) => `${c} = @${c}`).join(' AND ')} AND ${table === 'objects' ? OBJECT_NEWER : '@ts > ts'}`,
      ),
    };
    this.upserts.set(table, upsert);
    return upsert;
  }

  /**
   * Applies several tables' rows in one transaction (one commit, one WAL fsync): the group
   * commit of writes that arrived together. All or nothing.
   */
  applyBatch(items: ReadonlyArray<{ table: IndexTable; rows: Array<IndexTables[IndexTable]> }>): void {
    this.guarded(() => {
      for (const { table, rows } of items) this.apply(table, rows);
    });
  }

  /** Every row of a table (tombstones included), for replication. */
  exportRows<T extends IndexTable>(table: T, afterTs = ''): Array<IndexTables[T]> {
    const sql =
      table === 'objects'
        ? `SELECT o.*, i.data FROM objects o LEFT JOIN inline i ON i.key = o.key AND i.vid = o.vid
           WHERE o.ts > ? ORDER BY o.ts`
        : `SELECT * FROM ${table} WHERE ts > ? ORDER BY ts`;
    return this.stmt(sql).all(afterTs) as Array<IndexTables[T]>;
  }

  /** The inline body of a version as this replica holds it, with its row's ts and ETag. */
  inlineEntry(key: string, vid: string): InlineEntry | undefined {
    return this.stmt(
      `SELECT o.key, o.vid, o.ts, o.etag, i.data FROM inline i JOIN objects o ON o.key = i.key AND o.vid = i.vid
       WHERE i.key = ? AND i.vid = ?`,
    ).get(key, vid) as InlineEntry | undefined;
  }

  /** A page of inline bodies in (key, vid) order after the given position, for the auditor. */
  inlineEntries(after: { key: string; vid: string } | undefined, limit: number): InlineEntry[] {
    return this.stmt(
      `SELECT o.key, o.vid, o.ts, o.etag, i.data FROM inline i JOIN objects o ON o.key = i.key AND o.vid = i.vid
       WHERE (i.key, i.vid) > (?, ?) ORDER BY i.key, i.vid LIMIT ?`,
    ).all(after?.key ?? '', after?.vid ?? '', limit) as InlineEntry[];
  }

  /**
   * Replaces a damaged inline body with a good copy of the same version (same row `ts`), which
   * last-writer-wins cannot do since the row itself did not change. False when the row moved on.
   */
  repairInline(key: string, vid: string, ts: string, data: Buffer): boolean {
    return (
      this.stmt(
        `UPDATE inline SET data = ? WHERE key = ? AND vid = ?
         AND EXISTS (SELECT 1 FROM objects o WHERE o.key = ? AND o.vid = ? AND o.ts = ? AND o.deleted = 0)`,
      ).run(data, key, vid, key, vid, ts).changes > 0
    );
  }

  /**
   * A cheap summary that differs between replicas that hold different rows (almost always): per
   * table, the row count (counted once per handle, then kept up to date by apply and purge) and
   * the newest `ts` (an index seek on objects; the other tables are small).
   */
  fingerprint(): string {
    if (this.counts === undefined) {
      const count = (t: string): number =>
        (this.stmt(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      this.counts = {
        buckets: count('buckets'),
        objects: count('objects'),
        uploads: count('uploads'),
        parts: count('parts'),
      };
    }
    const parts: string[] = [];
    for (const t of Object.keys(INDEX_SCHEMA) as IndexTable[]) {
      const r = this.stmt(`SELECT max(ts) AS m FROM ${t}`).get() as { m: string | null };
      parts.push(`${this.counts[t]}:${r.m ?? ''}`);
    }
    return parts.join('/');
  }

  /** One row by primary key value(s), tombstones included. */
  bucket(name: string): IndexTables['buckets'] | undefined {
    return this.stmt('SELECT * FROM buckets WHERE name = ?').get(name) as IndexTables['buckets'] | undefined;
  }

  /** Every bucket row (tombstones included). */
  buckets(): Array<IndexTables['buckets']> {
    return this.stmt('SELECT * FROM buckets ORDER BY name').all() as Array<IndexTables['buckets']>;
  }

  /** All rows of one key (every version, tombstones included), inline bodies joined in. */
  versionsOf(key: string): ObjectRow[] {
    // Every GET and PUT runs this: raw rows and a literal each, as in `latest`.
    const rows = this.stmt(
      `SELECT o.vid, o.ts, o.deleted, o.vts, o.size, o.etag, o.modified, o.dm, o.meta, i.data
       FROM objects o LEFT JOIN inline i ON i.key = o.key AND i.vid = o.vid WHERE o.key = ?`,
      true,
    ).all(key) as Array<
      [string, string, number, string, number, string, number, number, string, Buffer | null]
    >;
    return rows.map(([vid, ts, deleted, vts, size, etag, modified, dm, meta, data]) => ({
      key,
      vid,
      ts,
      deleted,
      vts,
      size,
      etag,
      modified,
      dm,
      meta,
      data,
    }));
  }

  /** The current version of each key in a range (delete markers included), in key order. */
  latest(range: KeyRange): ObjectRow[] {
    const { where, params } = rangeSql(range);
    // One pass over the primary key: with a single max() SQLite takes the other (bare) columns
    // from the row holding the maximum, i.e. the newest live version of each key. Raw rows
    // (arrays) and a literal per row cost about half of better-sqlite3's row objects.
    const rows = this.stmt(
      `SELECT o.key, o.vid, max(o.vts) AS vts, o.size, o.etag, o.modified, o.dm, o.meta
       FROM objects o WHERE o.deleted = 0 ${where} GROUP BY o.key ORDER BY o.key LIMIT ?`,
      true,
    ).all(...params, range.limit) as Array<[string, string, string, number, string, number, number, string]>;
    return rows.map(([key, vid, vts, size, etag, modified, dm, meta]) => ({
      key,
      vid,
      ts: vts,
      deleted: 0,
      vts,
      size,
      etag,
      modified,
      dm,
      meta,
    }));
  }

  /**
   * What ListObjects shows of the current version of each key in a range (delete markers
   * included), in key order. The query of `latest` without the columns a listing never shows:
   * turning SQLite values into JS strings is most of a listing's cost, and the metadata JSON is
   * the longest of them, so only a row whose metadata names a checksum gets its algorithm,
   * extracted by SQLite.
   */
  listing(range: KeyRange): ListingRow[] {
    const { where, params } = rangeSql(range);
    // `max(o.vts) IS NULL` keeps max() in the query (so the bare columns come from the newest
    // version) without returning the timestamp.
    const rows = this.stmt(
      `SELECT o.key, o.size, o.etag, o.modified, o.dm, max(o.vts) IS NULL,
       CASE WHEN instr(o.meta, '"checksum"') THEN json_extract(o.meta, '$.checksum.algorithm') END
       FROM objects o WHERE o.deleted = 0 ${where} GROUP BY o.key ORDER BY o.key LIMIT ?`,
      true,
    ).all(...params, range.limit) as Array<[string, number, string, number, number, number, string | null]>;
    const out: ListingRow[] = new Array<ListingRow>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [key, size, etag, modified, dm, , checksumAlgorithm] = rows[i]!;
      out[i] = { key, size, etag, modified, dm, checksumAlgorithm };
    }
    return out;
  }

  /** Every live version in a range, by key then newest first. */
  versions(range: KeyRange): ObjectRow[] {
    const { where, params } = rangeSql(range);
    return this.stmt(
      `SELECT o.* FROM objects o WHERE o.deleted = 0 ${where} ORDER BY o.key, o.vts DESC LIMIT ?`,
    ).all(...params, range.limit) as ObjectRow[];
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

  /** True when this key has a live version or delete marker with this version id. */
  hasVersion(key: string, vid: string): boolean {
    return (
      this.stmt('SELECT 1 FROM objects WHERE key = ? AND vid = ? AND deleted = 0').get(key, vid) !== undefined
    );
  }

  /** True when any live version, delete marker or upload remains. */
  hasObjects(): boolean {
    return this.stmt('SELECT 1 FROM objects WHERE deleted = 0 LIMIT 1').get() !== undefined;
  }

  /** Live uploads in key order then upload id. */
  uploads(range: KeyRange & { uploadIdMarker?: string }): UploadRow[] {
    const { where, params } = rangeSql(range, 'u');
    return this.stmt(
      `SELECT u.* FROM uploads u WHERE u.deleted = 0 ${where} ORDER BY u.key, u.uploadId LIMIT ?`,
    ).all(...params, range.limit) as UploadRow[];
  }

  /** One upload row (tombstones included). */
  upload(uploadId: string): UploadRow | undefined {
    return this.stmt('SELECT * FROM uploads WHERE uploadId = ?').get(uploadId) as UploadRow | undefined;
  }

  /** Every part row of an upload (tombstones included). */
  parts(uploadId: string): Array<IndexTables['parts']> {
    return this.stmt('SELECT * FROM parts WHERE uploadId = ? ORDER BY partNumber').all(uploadId) as Array<
      IndexTables['parts']
    >;
  }

  /** Drops deleted rows (tombstones) written before `beforeTs`; returns how many went. */
  purgeDeleted(beforeTs: string): number {
    let n = 0;
    for (const t of Object.keys(INDEX_SCHEMA) as IndexTable[]) {
      const gone = this.stmt(`DELETE FROM ${t} WHERE deleted = 1 AND ts < ?`).run(beforeTs).changes;
      if (this.counts) this.counts[t] -= gone;
      n += gone;
    }
    bucketTableChanges++;
    return n;
  }

  /**
   * Resolves once every transaction committed before the call is on disk: one WAL fdatasync,
   * shared by all callers that arrive while it is not yet started (group commit, WalSync).
   */
  durable(): Promise<void> {
    return this.walSync.durable();
  }

  /** The WAL sync in flight, if any (WalSync.inFlight): a group commit may gather behind it. */
  syncInFlight(): Promise<void> | undefined {
    return this.walSync.inFlight();
  }

  /** A statement prepared once per handle (SQL text is the cache key; it is built from constants); `raw` returns arrays. */
  private stmt(sql: string, raw = false): Database.Statement {
    const id = raw ? `raw:${sql}` : sql;
    let s = this.statements.get(id);
    if (s === undefined) {
      s = this.db.prepare(sql);
      if (raw) s.raw(true);
      this.statements.set(id, s);
    }
    return s;
  }

  /** Closes the database handle. */
  async close(): Promise<void> {
    await this.walSync.settle();
    bucketTableChanges++;
    if (this.db.open) this.db.close();
    await this.walSync.close();
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
    // An upper bound too, so a prefix with fewer keys than the limit does not scan to the end.
    const end = prefixEnd(range.prefix);
    if (end !== undefined) {
      clauses.push(`${alias}.key < ?`);
      params.push(end);
    }
  }
  return { where: clauses.map((c) => 'AND ' + c).join(' '), params };
}

/**
 * The smallest string above every string that starts with `prefix`, in UTF-8 byte order (which
 * is code point order): the prefix with its last code point raised by one, or undefined when
 * there is none or the prefix holds a lone surrogate (no UTF-8 form to compare by).
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  if (points.some((p) => p >= 0xd800 && p <= 0xdfff)) return undefined;
  while (points.length > 0) {
    const last = points.pop()!;
    if (last < 0x10ffff) {
      points.push(last + 1 === 0xd800 ? 0xe000 : last + 1);
      return String.fromCodePoint(...points);
    }
  }
  return undefined;
}
