import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Asynchronous group commit for one SQLite database in WAL mode with `synchronous = NORMAL`:
 * commits only write the WAL, and `durable()` fdatasyncs it in libuv's thread pool, so the
 * event loop never waits on the disk. One sync serves every commit made before it started; a
 * caller that arrives while one is in flight shares the single sync queued behind it.
 */
export class WalSync {
  private wal: FileHandle | undefined;
  /** The sync in flight, and the one queued behind it for commits made since it started. */
  private syncing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  /** `file` is the database file; its WAL is `file-wal`. */
  constructor(private readonly file: string) {}

  /** Resolves once every transaction committed before the call is on disk. */
  durable(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    if (this.syncing === undefined) return this.start();
    // The sync in flight may have started before our commit: queue one more behind it.
    const queued = this.syncing
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.start();
      });
    this.queued = queued;
    return queued;
  }

  /**
   * The sync in flight, if any. A writer that will call `durable()` anyway may commit after it
   * rather than during it: its commit then joins every other one made meanwhile in one
   * transaction, and it waits for the same next sync either way.
   */
  inFlight(): Promise<void> | undefined {
    return this.syncing;
  }

  /** Waits for the syncs in flight (call before closing the database). */
  async settle(): Promise<void> {
    await Promise.allSettled([this.syncing, this.queued]);
  }

  /** Waits for the syncs in flight and closes the WAL handle. */
  async close(): Promise<void> {
    await this.settle();
    const wal = this.wal;
    this.wal = undefined;
    await wal?.close().catch(() => undefined);
  }

  private start(): Promise<void> {
    const run = (async () => {
      if (this.wal === undefined) {
        this.wal = await open(`${this.file}-wal`, 'r');
        // A WAL file created since the folder was last synced needs its directory entry durable.
        const dir = await open(dirname(this.file), 'r');
        try {
          await dir.sync();
        } finally {
          await dir.close();
        }
      }
      await this.wal.datasync();
    })();
    const tracked = run.finally(() => {
      if (this.syncing === tracked) this.syncing = undefined;
    });
    this.syncing = tracked;
    return tracked;
  }
}
