import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readdir, readFile, rename, rm, rmdir, stat, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import { belowReserve, defaultReserveBytes } from '../../common/disk-space.js';
import { deviceInUse } from '../errors.js';
import { BucketIndex } from './bucket-index.js';
import { decodeFooter, fileNameOf, parseFileName } from './data-file.js';
import { openDataWriter } from './local-data-writer.js';
import { dirNames, mkdirIn, openData, writeAll } from './local-files.js';
import type { DataFooter, DataReader, DataWriter, Device, DeviceHealth, FileEntry } from './device.js';

/** Free bytes an ENOSPC'd device must gain to rejoin the write set before its hold ends. */
const RELEASE_BYTES = 1024 * 1024;

/** Options of a LocalDevice. */
export interface LocalDeviceOptions {
  clock: Clock;
  /**
   * Free bytes below which the device takes no more object bodies (index rows and tombstones
   * still); default `defaultReserveBytes` of its file system (2 %, at most 1 GiB), 0 turns it off.
   */
  reserveBytes?: number;
  /**
   * How long a device that hit ENOSPC stays out of the write set, unless its free space grows by
   * 1 MiB meanwhile (something was deleted); default 60 s.
   */
  fullHoldMs?: number;
}

/**
 * A device that is a local folder, laid out like Swift: `objects/<partition>/<suffix>/<hash>/
 * <ts>_<name>.data|.ts`, `indexes/<partition>/<name>.db`, `tmp/` for in-flight writes and
 * `quarantined/`. A missing folder is a missing device (never re-created: it may be an unmounted
 * disk); an empty folder is a replaced disk and gets the layout back for the replicator to fill.
 */
export class LocalDevice implements Device {
  private readonly indexCache = new Map<string, BucketIndex>();
  private fullUntil = 0;
  /** Free bytes seen first after the device hit ENOSPC: the hold ends when there are more. */
  private fullFree: number | undefined;
  private lock: Database.Database | undefined;

  constructor(
    readonly id: string,
    readonly path: string,
    private readonly options: LocalDeviceOptions,
  ) {}

  /**
   * Takes the device for this process: an exclusive lock on `device.lock` (SQLite's, so the
   * operating system drops it when the process dies) fails with DEVICE_IN_USE while another owner
   * holds it. Then everything in `tmp/` is a write that no longer has a writer (a crashed or
   * killed upload), since only the owner writes there and it has not started, so all of it goes;
   * an age limit would keep a crash's files until some later start. Returns how many went.
   */
  async claim(): Promise<number> {
    const db = new Database(join(this.path, 'device.lock'), { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (err) {
      db.close();
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw deviceInUse(this.path);
      throw err;
    }
    this.lock = db;
    const tmp = join(this.path, 'tmp');
    const left = await readdir(tmp).catch(() => [] as string[]);
    for (const name of left) await rm(join(tmp, name), { recursive: true, force: true });
    return left.length;
  }

  async check(): Promise<DeviceHealth> {
    try {
      const s = await stat(this.path);
      if (!s.isDirectory()) return this.missing();
    } catch {
      return this.missing();
    }
    try {
      // An empty folder is a replaced disk: give it the layout back (cheap check first).
      if (!existsSync(join(this.path, 'quarantined'))) {
        for (const sub of ['objects', 'indexes', 'tmp', 'quarantined']) await mkdirIn(this.path, sub);
      }
      const fs = await statfs(this.path);
      const freeBytes = fs.bavail * fs.bsize;
      if (this.options.clock.now() < this.fullUntil) {
        this.fullFree ??= freeBytes;
        if (freeBytes < this.fullFree + RELEASE_BYTES) return { ok: false, reason: 'full', freeBytes };
        this.fullUntil = 0;
      }
      const reserve = this.options.reserveBytes ?? defaultReserveBytes(fs.blocks * fs.bsize);
      if (freeBytes < reserve) {
        return {
          ok: true,
          freeBytes,
          lowSpace: belowReserve(`device ${this.id} (${this.path})`, freeBytes, reserve),
        };
      }
      return { ok: true, freeBytes };
    } catch {
      return { ok: false, reason: 'error' };
    }
  }

  markFull(): void {
    this.fullUntil = this.options.clock.now() + (this.options.fullHoldMs ?? 60_000);
    this.fullFree = undefined;
  }

  async writer(partition: number, hash: string, keepOlder = false): Promise<DataWriter> {
    const tmp = join(this.path, 'tmp', randomUUID());
    return openDataWriter(tmp, (footer) =>
      this.place(partition, hash, tmp, fileNameOf(footer.ts, footer.name, 'data'), keepOlder),
    );
  }

  async open(
    partition: number,
    hash: string,
    name: string,
    ts?: string,
  ): Promise<DataReader | { tombstone: DataFooter } | undefined> {
    if (ts !== undefined) {
      const fileName = fileNameOf(ts, name, 'data');
      return openData(join(this.hashDir(partition, hash), fileName), fileName);
    }
    const newest = (await this.entriesOf(partition, hash)).find((e) => e.name === name);
    if (!newest) return undefined;
    const file = join(this.hashDir(partition, hash), newest.fileName);
    if (newest.kind === 'tombstone') {
      const footer = decodeFooter(await readFile(file).catch(() => Buffer.from('')));
      return footer ? { tombstone: footer } : undefined;
    }
    return openData(file, newest.fileName);
  }

  async writeTombstone(partition: number, hash: string, footer: DataFooter): Promise<void> {
    await this.writeRaw(
      partition,
      hash,
      fileNameOf(footer.ts, footer.name, 'tombstone'),
      Buffer.from(JSON.stringify(footer)),
    );
  }

  async dropOlder(partition: number, hash: string, name: string, ts: string): Promise<void> {
    const dir = this.hashDir(partition, hash);
    for (const f of await readdir(dir).catch(() => [])) {
      const p = parseFileName(f);
      if (p?.kind === 'data' && p.name === name && p.ts < ts)
        await unlink(join(dir, f)).catch(() => undefined);
    }
  }

  async list(partition: number, every = false): Promise<FileEntry[]> {
    const base = join(this.path, 'objects', String(partition));
    const out: FileEntry[] = [];
    for (const suffix of await dirNames(base)) {
      for (const hash of await dirNames(join(base, suffix)))
        out.push(...(await this.entriesOf(partition, hash, every)));
    }
    return out;
  }

  async partitions(): Promise<number[]> {
    const names = [
      ...(await dirNames(join(this.path, 'objects'))),
      ...(await dirNames(join(this.path, 'indexes'))),
    ];
    return [...new Set(names.map(Number).filter((n) => Number.isInteger(n)))].sort((a, b) => a - b);
  }

  async readRaw(partition: number, hash: string, fileName: string): Promise<Buffer | undefined> {
    return readFile(join(this.hashDir(partition, hash), fileName)).catch(() => undefined);
  }

  async writeRaw(
    partition: number,
    hash: string,
    fileName: string,
    bytes: Buffer | AsyncIterable<Buffer>,
  ): Promise<void> {
    const tmp = join(this.path, 'tmp', randomUUID());
    const fh = await open(tmp, 'wx');
    try {
      if (Buffer.isBuffer(bytes)) await writeAll(fh, bytes);
      else for await (const chunk of bytes) await writeAll(fh, chunk);
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await this.place(partition, hash, tmp, fileName);
  }

  async quarantine(partition: number, hash: string, fileName: string): Promise<void> {
    const dir = join(this.path, 'quarantined', 'objects', hash);
    await mkdirIn(this.path, 'quarantined', 'objects', hash);
    await rename(join(this.hashDir(partition, hash), fileName), join(dir, fileName)).catch(() => undefined);
  }

  async remove(partition: number, hash: string, fileName: string): Promise<void> {
    await unlink(join(this.hashDir(partition, hash), fileName)).catch(() => undefined);
  }

  async index(partition: number, name: string, create: boolean): Promise<BucketIndex | undefined> {
    const file = join(this.path, 'indexes', String(partition), `${name}.db`);
    const cached = this.indexCache.get(file);
    // A handle on a file that vanished (device replaced) would write into a deleted inode.
    if (cached && existsSync(file)) return cached;
    if (cached) {
      this.indexCache.delete(file);
      await cached.close();
    }
    if (!create && !existsSync(file)) return undefined;
    if (!existsSync(this.path)) return undefined;
    await mkdirIn(this.path, 'indexes', String(partition));
    const idx = new BucketIndex(file);
    this.indexCache.set(file, idx);
    return idx;
  }

  async indexes(partition: number): Promise<string[]> {
    const names = await readdir(join(this.path, 'indexes', String(partition))).catch(() => []);
    return names.filter((n) => n.endsWith('.db')).map((n) => n.slice(0, -3));
  }

  async removeIndex(partition: number, name: string): Promise<void> {
    const file = join(this.path, 'indexes', String(partition), `${name}.db`);
    const cached = this.indexCache.get(file);
    this.indexCache.delete(file);
    await cached?.close();
    for (const suffix of ['', '-wal', '-shm']) await rm(file + suffix, { force: true });
  }

  async prune(partition: number): Promise<void> {
    const base = join(this.path, 'objects', String(partition));
    for (const suffix of await dirNames(base)) {
      for (const hash of await dirNames(join(base, suffix)))
        await rmdir(join(base, suffix, hash)).catch(() => undefined);
      await rmdir(join(base, suffix)).catch(() => undefined);
    }
    await rmdir(base).catch(() => undefined);
    await rmdir(join(this.path, 'indexes', String(partition))).catch(() => undefined);
  }

  async close(): Promise<void> {
    for (const idx of this.indexCache.values()) await idx.close();
    this.indexCache.clear();
    this.lock?.close();
    this.lock = undefined;
  }

  private missing(): DeviceHealth {
    // Drop handles so that nothing is written into a removed folder's open files.
    for (const idx of this.indexCache.values()) void idx.close();
    this.indexCache.clear();
    return { ok: false, reason: 'missing' };
  }

  /** The absolute path of a stored file (for `stratus explain` and operators). */
  dataPath(partition: number, hash: string, fileName: string): string {
    return join(this.hashDir(partition, hash), fileName);
  }

  private hashDir(partition: number, hash: string): string {
    return join(this.path, 'objects', String(partition), hash.slice(-3), hash);
  }

  /**
   * Renames a finished temp file into its hash folder, fsyncs the folder, and drops the older
   * file of the name: last writer wins. With `keepOlder`, an older data file stays (the index
   * may still point at it) and only tombstones go either way.
   */
  private async place(
    partition: number,
    hash: string,
    tmp: string,
    fileName: string,
    keepOlder = false,
  ): Promise<void> {
    const dir = this.hashDir(partition, hash);
    try {
      await mkdirIn(this.path, 'objects', String(partition), hash.slice(-3), hash);
      await rename(tmp, join(dir, fileName));
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
    const parsed = parseFileName(fileName);
    if (!parsed) return;
    for (const f of await readdir(dir).catch(() => [])) {
      const p = parseFileName(f);
      if (!p || p.name !== parsed.name || f === fileName) continue;
      const [older, newer] = p.ts < parsed.ts ? [p, parsed] : [parsed, p];
      if (!keepOlder || newer.kind === 'tombstone' || older.kind === 'tombstone')
        await unlink(join(dir, older === p ? f : fileName)).catch(() => undefined);
    }
  }

  /** The newest file of every name in a hash folder. */
  private async entriesOf(partition: number, hash: string, every = false): Promise<FileEntry[]> {
    const files = await readdir(this.hashDir(partition, hash)).catch(() => [] as string[]);
    const newest = new Map<string, FileEntry>();
    const all: FileEntry[] = [];
    for (const fileName of files) {
      const p = parseFileName(fileName);
      if (!p) continue;
      if (every) {
        all.push({ partition, hash, ...p, fileName });
        continue;
      }
      const have = newest.get(p.name);
      if (!have || p.ts > have.ts) newest.set(p.name, { partition, hash, ...p, fileName });
    }
    return every ? all : [...newest.values()];
  }
}
