import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock, type Clock } from '../../common/clock.js';
import type { InlineEntry } from '../device/index.js';
import type { Device, FileEntry } from '../device/index.js';
import { timestampMs } from '../device/index.js';
import { inlineIntact } from '../body/index.js';

/** Cumulative auditor progress, for `status()` and metrics. */
export interface AuditProgress {
  passes: number;
  objectsChecked: number;
  corruptFound: number;
  bytesChecked: number;
  /** Device and partition being audited, while a pass runs. */
  current?: { device: string; partition: number };
  lastPassObjects: number;
  lastPassCorrupt: number;
  /** Inline bodies (in bucket index rows) found corrupt and rewritten from a good index replica. */
  inlineRepaired: number;
  /** Data files that no index row named (older than `orphanAgeMs`, on two passes), removed. */
  orphansRemoved: number;
}

/** A data file as the orphan check sees it: its object, its name (version or part) and timestamp. */
export interface DataFileRef {
  bucket: string;
  key: string;
  name: string;
  ts: string;
}

/** Whether an index row names a data file: true, false, or undefined when the index could not say. */
export type FileNamedCheck = (file: DataFileRef) => Promise<boolean | undefined>;

/** Options of the Auditor. */
export interface AuditorOptions {
  /** Read rate limit in bytes per second; default unlimited. */
  bytesPerSecond?: number;
  /**
   * Asks the index whether a data file is named by a row (a version, a part, a manifest); files
   * no row names are removed. Without it, no file is ever removed as an orphan.
   */
  isNamed?: FileNamedCheck;
  /** Data files younger than this (by their timestamp) are never orphans; default 1 hour. */
  orphanAgeMs?: number;
  /** The clock file ages are read against; default the system clock. */
  clock?: Clock;
}

/** Default for AuditorOptions.orphanAgeMs. */
export const DEFAULT_ORPHAN_AGE_MS = 3_600_000;

/**
 * Walks every device's data files at a bounded rate, recomputes each body's MD5 against the one
 * in its footer, and quarantines copies that do not match (the replicator then restores them
 * from a good replica). It never repairs data files by itself, so a bug here cannot spread bad
 * data. Inline bodies (small objects in bucket index rows) are checked against their row's ETag;
 * a damaged one is rewritten from another replica of the same index holding an intact copy of
 * the same version, or counted as corrupt when none does (reads then fail rather than lie).
 *
 * Data files that no index row names (left by a write killed between its data and its index
 * row, or by an index write that reached too few replicas) are removed once they are older than
 * `orphanAgeMs` and were found unnamed on two passes in a row: a file's timestamp is when its
 * write began, so a PUT that took longer than that commits an already old file, and the second
 * sighting (a pass later) leaves its index row time to land. A file whose index cannot be read
 * at a quorum is left alone.
 */
export class Auditor {
  readonly progress: AuditProgress = {
    passes: 0,
    objectsChecked: 0,
    corruptFound: 0,
    bytesChecked: 0,
    lastPassObjects: 0,
    lastPassCorrupt: 0,
    inlineRepaired: 0,
    orphansRemoved: 0,
  };
  /** Data files found unnamed by the last pass (device, partition, hash, file name). */
  private suspects = new Set<string>();
  private running: Promise<AuditProgress> | undefined;
  private stopped = false;

  constructor(
    private readonly devices: () => Device[],
    private readonly options: AuditorOptions = {},
  ) {}

  /** One full pass over every healthy device; concurrent calls share the running pass. */
  runOnce(): Promise<AuditProgress> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops a running pass at the next file. */
  close(): Promise<void> {
    this.stopped = true;
    return this.running ? this.running.then(() => undefined) : Promise.resolve();
  }

  private async pass(): Promise<AuditProgress> {
    const started = performance.now();
    let bytes = 0;
    let objects = 0;
    let corrupt = 0;
    const suspects = new Set<string>();
    for (const device of this.devices()) {
      if (this.stopped) break;
      if ((await device.check()).reason === 'missing') continue;
      for (const partition of await device.partitions()) {
        this.progress.current = { device: device.id, partition };
        for (const e of await device.list(partition)) {
          if (this.stopped) break;
          if (e.kind !== 'data') continue;
          const r = await device.open(partition, e.hash, e.name).catch(() => undefined);
          if (!r || 'tombstone' in r) continue;
          let good = r.footer.size >= 0;
          if (good) {
            const md5 = createHash('md5');
            for await (const chunk of r.stream()) md5.update(chunk as Buffer);
            good = md5.digest('hex') === r.footer.md5;
          }
          await r.close();
          const size = Math.max(0, r.footer.size);
          objects++;
          bytes += size;
          this.progress.objectsChecked++;
          this.progress.bytesChecked += size;
          if (!good) {
            corrupt++;
            this.progress.corruptFound++;
            await device.quarantine(partition, e.hash, r.fileName);
          }
          await this.throttle(bytes, started);
        }
        for (const name of await device.indexes(partition)) {
          if (this.stopped) break;
          const r = await this.auditInline(device, partition, name, async (n) => {
            bytes += n;
            await this.throttle(bytes, started);
          });
          objects += r.checked;
          corrupt += r.corrupt;
        }
        if (!this.stopped) await this.sweepOrphans(device, partition, suspects);
      }
    }
    if (!this.stopped) this.suspects = suspects;
    delete this.progress.current;
    this.progress.passes++;
    this.progress.lastPassObjects = objects;
    this.progress.lastPassCorrupt = corrupt;
    return { ...this.progress };
  }

  /**
   * Removes the partition's data files that no index row names and that the previous pass found
   * unnamed too; records this pass's unnamed files in `suspects`.
   */
  private async sweepOrphans(device: Device, partition: number, suspects: Set<string>): Promise<void> {
    const isNamed = this.options.isNamed;
    if (isNamed === undefined) return;
    const now = (this.options.clock ?? systemClock).now();
    const minAge = this.options.orphanAgeMs ?? DEFAULT_ORPHAN_AGE_MS;
    for (const e of await device.list(partition, true)) {
      if (this.stopped) return;
      if (e.kind !== 'data' || now - timestampMs(e.ts) < minAge) continue;
      const ref = await this.refOf(device, e);
      if (ref === undefined || (await isNamed(ref).catch(() => undefined)) !== false) continue;
      const id = [device.id, partition, e.hash, e.fileName].join('/');
      if (!this.suspects.has(id)) {
        suspects.add(id);
        continue;
      }
      await device.remove(partition, e.hash, e.fileName);
      this.progress.orphansRemoved++;
    }
  }

  /** The object, name and timestamp a data file's footer records; undefined when unreadable. */
  private async refOf(device: Device, e: FileEntry): Promise<DataFileRef | undefined> {
    const r = await device.open(e.partition, e.hash, e.name, e.ts).catch(() => undefined);
    if (r === undefined || 'tombstone' in r) return undefined;
    await r.close();
    const { bucket, key, name, ts } = r.footer;
    return name === e.name && ts === e.ts ? { bucket, key, name, ts } : undefined;
  }

  /** Checks every inline body of one index replica, a page at a time; repairs what it can. */
  private async auditInline(
    device: Device,
    partition: number,
    name: string,
    read: (bytes: number) => Promise<void>,
  ): Promise<{ checked: number; corrupt: number }> {
    let checked = 0;
    let corrupt = 0;
    let after: InlineEntry | undefined;
    for (let page = 0; page < 1_000_000 && !this.stopped; page++) {
      const idx = await device.index(partition, name, false).catch(() => undefined);
      const entries = idx?.inlineEntries(after, 256) ?? [];
      if (idx === undefined || entries.length === 0) break;
      for (const e of entries) {
        checked++;
        this.progress.objectsChecked++;
        this.progress.bytesChecked += e.data.length;
        if (inlineIntact(e)) continue;
        corrupt++;
        this.progress.corruptFound++;
        if (await this.repairInline(device, partition, name, e)) this.progress.inlineRepaired++;
      }
      after = entries[entries.length - 1];
      await read(entries.reduce((n, e) => n + e.data.length, 0));
    }
    return { checked, corrupt };
  }

  /** Rewrites a damaged inline body from another device's intact copy of the same version. */
  private async repairInline(
    device: Device,
    partition: number,
    name: string,
    bad: InlineEntry,
  ): Promise<boolean> {
    for (const other of this.devices()) {
      if (other === device) continue;
      const idx = await other.index(partition, name, false).catch(() => undefined);
      const good = idx?.inlineEntry(bad.key, bad.vid);
      if (good === undefined || good.ts !== bad.ts || !inlineIntact(good)) continue;
      const mine = await device.index(partition, name, false).catch(() => undefined);
      return mine?.repairInline(bad.key, bad.vid, bad.ts, good.data) ?? false;
    }
    return false;
  }

  /** Sleeps until `bytes` read since `started` is within the rate (each sleep bounded to 1 s). */
  private async throttle(bytes: number, started: number): Promise<void> {
    const rate = this.options.bytesPerSecond;
    if (!rate || rate <= 0) return;
    const dueMs = (bytes / rate) * 1000;
    const ahead = dueMs - (performance.now() - started);
    if (ahead > 0) await sleep(Math.min(ahead, 1000));
  }
}
