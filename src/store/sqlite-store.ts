import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../common/clock.js';
import { isDiskError } from '../common/disk-space.js';
import type { KubeObject } from '../common/kube-object.js';
import { revisionCompacted, storeClosed, StoreError } from './errors.js';
import { DiskReserve } from './disk-reserve.js';
import {
  LOG_CREATE,
  LOG_DELETE,
  openDatabase,
  prepareStatements,
  type LogRow,
  type Statements,
  type SyncMode,
} from './sqlite-schema.js';
import { listPage, listStoredPage } from './sqlite-list.js';
import { SqliteWatch, type StoreWatch } from './sqlite-watch.js';
import { applyWrite, type ResourceChange, type WriteOp } from './sqlite-writes.js';
import type {
  ListOptions,
  ListResult,
  Store,
  StoredChange,
  StoredList,
  WatchEvent,
  WatchOptions,
  Watcher,
} from './store.js';
import { rememberStoredJson } from './stored-json.js';
import { changeObject, compileWatchFilter, type Change } from './watch-filter.js';

/** Options of SqliteStore.open; every field has a default. */
export interface SqliteStoreOptions {
  /** Time source for maintenance bookkeeping (`stats().lastMaintenanceMs`); default the system clock. */
  clock?: Clock;
  /** Revisions of history kept for watches; older ones are compacted as writes go. Default 100_000. */
  historyLimit?: number;
  /** How often maintenance (compaction, WAL checkpoint, vacuum) runs; default 60_000 ms; 0 disables. */
  compactIntervalMs?: number;
  /** `full` (default) makes a commit survive power loss; `normal` only a process crash, and is faster. */
  synchronous?: SyncMode;
  /**
   * Free bytes kept on the database's file system: below this creates are refused, below half of
   * it updates too, with STORE_DISK_FULL (507); deletes, which free space, always run. Default
   * `defaultReserveBytes` of the file system (2 %, at most 1 GiB); 0 turns the check off.
   */
  reserveBytes?: number;
  /** Told of every committed transaction: its writes and how long the commit took (metrics). */
  onCommit?: (writes: number, seconds: number) => void;
}

/** Figures about the database, for metrics and tests. */
export interface SqliteStoreStats {
  revision: number;
  compactedRevision: number;
  historyRows: number;
  databaseBytes: number;
  walBytes: number;
  watchers: number;
  /** Transactions committed (one per group of writes). */
  commits: number;
  /** Writes committed. */
  writes: number;
  /** List calls served (pages count one each): shows who scans the store. */
  lists: number;
  /** Get calls served: with a watch cache in front, shows which reads reach the store. */
  gets: number;
  lastMaintenanceMs: number | undefined;
  /** The free-space reserve in force (see `SqliteStoreOptions.reserveBytes`). */
  reserveBytes: number;
  /** Why the last compaction or WAL checkpoint failed (a full disk); cleared when one succeeds. */
  maintenanceError: string | undefined;
}

interface Pending {
  op: WriteOp;
  resolve: (object: KubeObject) => void;
  reject: (err: unknown) => void;
}

/** Writes per transaction at most, so a flood of writes never holds the event loop for long. */
const MAX_BATCH = 1000;

/** Event-loop turns a group commit waits at most for more writes to join it. */
const GROUP_TURNS = 8;

/** Log rows deleted per statement, so one compaction never holds the loop for long. */
const TRIM_CHUNK = 5000;

/**
 * The default Store: one SQLite file (better-sqlite3, WAL) owned by this process. Writes that
 * arrive in the same event-loop turn are committed in one transaction (group commit), and each
 * caller's promise resolves only after that commit is durable. Reads run synchronously against the
 * latest committed state. Watch history lives in the `log` table, trimmed to `historyLimit`
 * revisions as writes go; a periodic maintenance job also checkpoints and truncates the WAL.
 */
export class SqliteStore implements Store {
  private readonly stmts: Statements;
  private readonly historyLimit: number;
  private readonly clock: Clock;
  private revision: number;
  private compacted: number;
  private readonly queue: Pending[] = [];
  private flushScheduled = false;
  private groupTurns = 0;
  private groupSeen = 0;
  private readonly watches = new Map<string, Set<StoreWatch>>();
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;
  private commits = 0;
  private writes = 0;
  private lists = 0;
  private gets = 0;
  private lastMaintenanceMs: number | undefined;
  private maintenanceError: string | undefined;
  private readonly disk: DiskReserve;
  private readonly onCommit: SqliteStoreOptions['onCommit'];

  private constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    options: SqliteStoreOptions,
  ) {
    this.stmts = prepareStatements(db);
    this.historyLimit = Math.max(1, Math.floor(options.historyLimit ?? 100_000));
    this.clock = options.clock ?? systemClock;
    this.onCommit = options.onCommit;
    this.revision = Math.max(this.stmts.getMeta.get('revision') ?? 0, this.stmts.maxLogRev.get() ?? 0);
    this.compacted = this.stmts.getMeta.get('compacted') ?? 0;
    this.disk = new DiskReserve(path, options.reserveBytes);
    const interval = options.compactIntervalMs ?? 60_000;
    if (interval > 0) {
      this.timer = setInterval(() => this.maintenanceSync(), interval);
      this.timer.unref();
    }
  }

  /**
   * Opens the store at `path`, creating the file when missing. The revision continues from the
   * highest one ever written to this file. Rejects with STORE_LOCKED when another connection or
   * process has the file open.
   */
  static open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    try {
      return Promise.resolve(
        new SqliteStore(openDatabase(path, options.synchronous ?? 'full'), path, options),
      );
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    if (this.closed) return Promise.reject(storeClosed());
    this.gets++;
    const row = this.stmts.getCurrent.get(resource, namespace, name);
    return Promise.resolve(row === undefined ? undefined : (JSON.parse(row.value) as KubeObject));
  }

  /** Lists in (namespace, name) order; see `listPage` for the consistency of pages. */
  list(resource: string, options: ListOptions = {}): Promise<ListResult> {
    this.lists++;
    return this.sync(() =>
      listPage(this.stmts, resource, options, { revision: this.revision, compacted: this.compacted }),
    );
  }

  /** One page of objects as stored (JSON text), for a cache to load from; see `listPage`. */
  listStored(resource: string, options: Pick<ListOptions, 'limit' | 'continue'> = {}): Promise<StoredList> {
    this.lists++;
    return this.sync(() =>
      listStoredPage(this.stmts, resource, options, { revision: this.revision, compacted: this.compacted }),
    );
  }

  create(resource: string, object: KubeObject): Promise<KubeObject> {
    return this.enqueue({ kind: 'create', resource, object });
  }

  update(resource: string, object: KubeObject): Promise<KubeObject> {
    return this.enqueue({ kind: 'update', resource, object });
  }

  delete(
    resource: string,
    namespace: string,
    name: string,
    options: { expectedResourceVersion?: string } = {},
  ): Promise<KubeObject> {
    return this.enqueue({
      kind: 'delete',
      resource,
      namespace,
      name,
      expected: options.expectedResourceVersion,
    });
  }

  watch(resource: string, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<Watcher> {
    return this.sync(() =>
      this.startWatch(resource, options.fromRevision, compileWatchFilter(options), onEvent),
    );
  }

  /** Changes as stored: no parse, no selectors (see `Store.watchStored`). */
  watchStored(
    resource: string,
    fromRevision: number,
    onChange: (change: StoredChange) => void,
  ): Promise<Watcher> {
    return this.sync(() => this.startWatch(resource, fromRevision, storedChange, onChange));
  }

  private startWatch<E extends { revision: number }>(
    resource: string,
    fromRevision: number,
    filter: (change: Change) => E | undefined,
    onEvent: (event: E) => void,
  ): Watcher {
    const from = Math.max(0, Math.floor(fromRevision));
    if (from < this.compacted) throw revisionCompacted(from, this.compacted);
    let set = this.watches.get(resource);
    if (set === undefined) {
      set = new Set();
      this.watches.set(resource, set);
    }
    const watches = set;
    const readHistory = (after: number, limit: number): Change[] =>
      this.closed ? [] : this.stmts.history.all(resource, after, limit).map(toChange);
    const watch = new SqliteWatch<E>(
      from,
      () => this.revision,
      readHistory,
      filter,
      onEvent,
      (w) => watches.delete(w),
    );
    watches.add(watch);
    return watch;
  }

  currentRevision(): Promise<number> {
    return this.sync(() => this.revision);
  }

  /**
   * Marks history at and before `revision` (clamped to the current revision) as compacted, so
   * watches and continue tokens from there get 410. Log rows that a running watch is still
   * replaying are deleted by a later compaction instead.
   */
  compact(revision: number): Promise<void> {
    return this.sync(() => this.compactSync(Math.min(Math.floor(revision), this.revision)));
  }

  /**
   * Runs the periodic maintenance now: compacts to `historyLimit`, checkpoints and truncates the
   * WAL, returns free pages to the file system. Exposed so tests and admin commands need not wait.
   */
  maintenance(): Promise<void> {
    return this.sync(() => this.maintenanceSync());
  }

  /** Figures about the store for metrics and tests. */
  stats(): SqliteStoreStats {
    if (this.closed) throw storeClosed();
    return {
      revision: this.revision,
      compactedRevision: this.compacted,
      historyRows: this.stmts.countLog.get() ?? 0,
      databaseBytes: fileSize(this.path),
      walBytes: fileSize(`${this.path}-wal`),
      watchers: [...this.watches.values()].reduce((n, s) => n + s.size, 0),
      commits: this.commits,
      writes: this.writes,
      lists: this.lists,
      gets: this.gets,
      lastMaintenanceMs: this.lastMaintenanceMs,
      reserveBytes: this.disk.reserveBytes,
      maintenanceError: this.maintenanceError,
    };
  }

  /** Commits queued writes, stops maintenance, ends every watch and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.queue.length > 0) this.flush();
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    const all = [...this.watches.values()].flatMap((s) => [...s]);
    this.watches.clear();
    await Promise.all(all.map((w) => w.close()));
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // A full disk: the WAL stays and SQLite replays it at the next open.
    } finally {
      this.db.close();
    }
  }

  /** Runs synchronous work as a promise: rejects (never throws) on a closed store or any error. */
  private sync<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(storeClosed());
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private enqueue(op: WriteOp): Promise<KubeObject> {
    if (this.closed) return Promise.reject(storeClosed());
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        this.groupTurns = 0;
        this.groupSeen = 0;
        setImmediate(() => this.gather());
      }
    });
  }

  /**
   * Group commit: while each event-loop turn still brings more writes (at most GROUP_TURNS
   * turns), waits one more turn, so concurrent writers share one fsync instead of paying one
   * each; a lone write commits after a single extra turn (microseconds when idle).
   */
  private gather(): void {
    const n = this.queue.length;
    if (n > this.groupSeen && n < MAX_BATCH && this.groupTurns < GROUP_TURNS && !this.closed) {
      this.groupSeen = n;
      this.groupTurns++;
      setImmediate(() => this.gather());
      return;
    }
    this.flush();
  }

  /** Applies every queued write in one transaction, then settles promises and feeds watches. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue.splice(0, MAX_BATCH);
    if (this.queue.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    if (batch.length === 0) return;
    if (this.closed) {
      for (const p of batch) p.reject(storeClosed());
      return;
    }
    const admitted = this.disk.admit(batch);
    if (admitted.length === 0) return;
    const startRevision = this.revision;
    let results: Array<ResourceChange | StoreError>;
    const started = performance.now();
    try {
      results = this.db.transaction(() => {
        const out = admitted.map((p) => {
          try {
            const change = applyWrite(this.stmts, p.op, this.revision + 1);
            this.revision = change.revision;
            return change;
          } catch (err) {
            if (err instanceof StoreError) return err;
            throw err;
          }
        });
        if (this.revision !== startRevision) this.stmts.setMeta.run(this.revision, 'revision');
        return out;
      })();
    } catch (err) {
      this.revision = startRevision;
      const failure = this.disk.failure(err);
      for (const p of admitted) p.reject(failure);
      return;
    }
    this.commits++;
    this.onCommit?.(admitted.length, (performance.now() - started) / 1000);
    results.forEach((r, i) => {
      const p = admitted[i] as Pending;
      if (r instanceof StoreError) return p.reject(r);
      this.writes++;
      // A create's or update's value is the object at its revision: the reply can send it as is.
      p.resolve(r.type === 'delete' ? changeObject(r) : rememberStoredJson(changeObject(r), r.value));
      const set = this.watches.get(r.resource);
      if (set !== undefined) for (const w of set) w.push(r);
    });
    const slack = Math.max(1, Math.floor(this.historyLimit / 10));
    if (this.revision - this.compacted >= this.historyLimit + slack) {
      this.tryMaintenance(() => this.compactSync(this.revision - this.historyLimit));
    }
  }

  /** Runs compaction or checkpointing work; a full disk postpones it, never fails a caller. */
  private tryMaintenance(work: () => void): void {
    try {
      work();
      this.maintenanceError = undefined;
    } catch (err) {
      if (!isDiskError(err)) throw err;
      this.maintenanceError = (err as Error).message;
    }
  }

  /** Moves the compaction point to `revision` and deletes log rows no replaying watch still needs. */
  private compactSync(revision: number): void {
    if (revision > this.compacted) {
      this.compacted = revision;
      this.stmts.setMeta.run(revision, 'compacted');
    }
    let floor = this.compacted;
    for (const set of this.watches.values()) {
      for (const w of set) if (!w.live) floor = Math.min(floor, w.cursor);
    }
    const min = this.stmts.minLogRev.get();
    if (min === null || min === undefined) return;
    for (let lo = min; lo <= floor; lo += TRIM_CHUNK) {
      this.stmts.trimLog.run(Math.min(floor, lo + TRIM_CHUNK - 1));
    }
  }

  private maintenanceSync(): void {
    if (this.closed) return;
    this.tryMaintenance(() => {
      this.compactSync(this.revision - this.historyLimit);
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.pragma('incremental_vacuum');
    });
    this.lastMaintenanceMs = this.clock.now();
  }
}

function toChange(row: LogRow): Change {
  const type = row.type === LOG_CREATE ? 'create' : row.type === LOG_DELETE ? 'delete' : 'update';
  return {
    revision: row.rev,
    type,
    namespace: row.namespace,
    name: row.name,
    value: row.value,
    prev: row.prev,
  };
}

const STORED_TYPES = { create: 'ADDED', update: 'MODIFIED', delete: 'DELETED' } as const;

function storedChange(change: Change): StoredChange {
  return {
    type: STORED_TYPES[change.type],
    revision: change.revision,
    namespace: change.namespace,
    name: change.name,
    value: change.value,
  };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
