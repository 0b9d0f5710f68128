import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { StoreError } from './errors.js';

/**
 * The SQLite layout behind SqliteStore. `current` holds the latest value of every live object
 * (gets and lists read only it); `log` holds one row per revision with the new value and, for
 * updates, the replaced one (watches replay it; compaction trims it); `meta` holds the revision
 * counter and the compaction point, so revisions are never reused even when every log row is gone.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS current (
  resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  rev INTEGER NOT NULL, value TEXT NOT NULL,
  UNIQUE (resource, namespace, name)
);
CREATE TABLE IF NOT EXISTS log (
  rev INTEGER PRIMARY KEY, resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
  type INTEGER NOT NULL, value TEXT NOT NULL, prev TEXT
);
CREATE INDEX IF NOT EXISTS log_resource_rev ON log (resource, rev);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', 1), ('revision', 0), ('compacted', 0);
`;

/** The log's `type` column for a create. */
export const LOG_CREATE = 1;
/** The log's `type` column for an update (the row's `prev` holds the replaced value). */
export const LOG_UPDATE = 2;
/** The log's `type` column for a delete (the row's `value` is the last state at the deletion revision). */
export const LOG_DELETE = 3;

/** How hard a commit is made durable: FULL survives power loss, NORMAL survives a process crash. */
export type SyncMode = 'full' | 'normal';

/**
 * Opens (creating when missing) the database file with the pragmas the store relies on: WAL with
 * a bounded WAL file (`wal_autocheckpoint`, `journal_size_limit`), incremental auto-vacuum so
 * compaction returns space, and exclusive locking so a second process cannot open the same file
 * and reuse revisions (it fails with STORE_LOCKED instead).
 */
export function openDatabase(path: string, sync: SyncMode): Database.Database {
  privateFiles(path);
  const db = new Database(path, { timeout: 1000 });
  try {
    // auto_vacuum only takes effect before the first table exists; harmless afterwards.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('wal_autocheckpoint = 1000');
    db.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -32000');
    // Taking the write lock now makes a second opener fail here rather than at its first write.
    db.exec(SCHEMA_SQL);
  } catch (err) {
    db.close();
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new StoreError('STORE_LOCKED', 503, `database "${path}" is in use by another process`, { path });
    }
    throw err;
  }
  return db;
}

/**
 * Makes the database and its WAL and shared-memory files readable by this user only (mode 0600),
 * creating the database file so: SQLite gives the WAL and shm files it creates later the mode of
 * the database file. Files left by an earlier version with wider modes are tightened.
 */
function privateFiles(path: string): void {
  if (path === ':memory:' || path === '') return;
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}

/** A row of `current`. */
export interface CurrentRow {
  rev: number;
  value: string;
}

/** A row of `current` as lists read it. */
export interface ListRow {
  namespace: string;
  name: string;
  value: string;
}

/** A row of `log` as watches replay it. */
export interface LogRow {
  rev: number;
  namespace: string;
  name: string;
  type: number;
  value: string;
  prev: string | null;
}

/** Every statement the store runs, prepared once. */
export function prepareStatements(db: Database.Database) {
  return {
    getCurrent: db.prepare<[string, string, string], CurrentRow>(
      'SELECT rev, value FROM current WHERE resource = ? AND namespace = ? AND name = ?',
    ),
    insertCurrent: db.prepare<[string, string, string, number, string]>(
      'INSERT INTO current (resource, namespace, name, rev, value) VALUES (?, ?, ?, ?, ?)',
    ),
    updateCurrent: db.prepare<[number, string, string, string, string]>(
      'UPDATE current SET rev = ?, value = ? WHERE resource = ? AND namespace = ? AND name = ?',
    ),
    deleteCurrent: db.prepare<[string, string, string]>(
      'DELETE FROM current WHERE resource = ? AND namespace = ? AND name = ?',
    ),
    insertLog: db.prepare<[number, string, string, string, number, string, string | null]>(
      'INSERT INTO log (rev, resource, namespace, name, type, value, prev) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    listAll: db.prepare<[string, string, string, number], ListRow>(
      'SELECT namespace, name, value FROM current WHERE resource = ? AND (namespace, name) > (?, ?) ' +
        'ORDER BY namespace, name LIMIT ?',
    ),
    listNamespace: db.prepare<[string, string, string, number], ListRow>(
      'SELECT namespace, name, value FROM current WHERE resource = ? AND namespace = ? AND name > ? ' +
        'ORDER BY name LIMIT ?',
    ),
    countAll: db
      .prepare<[string, string, string], number>(
        'SELECT COUNT(*) FROM current WHERE resource = ? AND (namespace, name) > (?, ?)',
      )
      .pluck(),
    countNamespace: db
      .prepare<[string, string, string], number>(
        'SELECT COUNT(*) FROM current WHERE resource = ? AND namespace = ? AND name > ?',
      )
      .pluck(),
    history: db.prepare<[string, number, number], LogRow>(
      'SELECT rev, namespace, name, type, value, prev FROM log WHERE resource = ? AND rev > ? ORDER BY rev LIMIT ?',
    ),
    getMeta: db.prepare<[string], number>('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare<[number, string]>('UPDATE meta SET value = ? WHERE key = ?'),
    maxLogRev: db.prepare<[], number | null>('SELECT MAX(rev) FROM log').pluck(),
    minLogRev: db.prepare<[], number | null>('SELECT MIN(rev) FROM log').pluck(),
    countLog: db.prepare<[], number>('SELECT COUNT(*) FROM log').pluck(),
    trimLog: db.prepare<[number]>('DELETE FROM log WHERE rev <= ?'),
  };
}

/** The prepared statements of one open database. */
export type Statements = ReturnType<typeof prepareStatements>;
