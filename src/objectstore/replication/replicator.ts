import { createHash } from 'node:crypto';
import type { Clock } from '../../common/clock.js';
import { encodeFooter } from '../device/index.js';
import type { Device, FileEntry } from '../device/index.js';
import { mergeAll } from './index-replicas.js';
import type { Placement } from './placement.js';
import { timestampMs } from '../device/index.js';

/** A week, as Swift's default reclaim_age. */
export const DEFAULT_RECLAIM_AGE_MS = 7 * 24 * 3_600_000;

/** Options of the Replicator. */
export interface ReplicatorOptions {
  clock: Clock;
  /** How long deletions are remembered before they are forgotten; default a week. */
  reclaimAgeMs?: number;
}

/** Cumulative replicator progress, for `status()` and metrics. */
export interface ReplicationProgress {
  passes: number;
  partitionsScanned: number;
  filesCopied: number;
  bytesCopied: number;
  indexesSynced: number;
  handoffPartitionsRemoved: number;
  corruptSkipped: number;
  tombstonesReclaimed: number;
  lastPassCopied: number;
}

/**
 * Makes every partition's data and indexes whole again: each device pushes the newest copy of
 * every file and index row it holds to the partition's write set (its primaries, or handoffs
 * standing in for primaries that are missing or full), so a replaced empty disk is refilled, a
 * quarantined copy is restored and a rebalance moves partitions. A device holding a partition
 * it is no longer a primary of removes its copy once every primary has it. Files are verified
 * before they are pushed, so a corrupt copy is never spread.
 */
export class Replicator {
  readonly progress: ReplicationProgress = {
    passes: 0,
    partitionsScanned: 0,
    filesCopied: 0,
    bytesCopied: 0,
    indexesSynced: 0,
    handoffPartitionsRemoved: 0,
    corruptSkipped: 0,
    tombstonesReclaimed: 0,
    lastPassCopied: 0,
  };
  private running: Promise<ReplicationProgress> | undefined;
  private stopped = false;

  constructor(
    private readonly placement: Placement,
    private readonly devices: () => Device[],
    private readonly options: ReplicatorOptions,
  ) {}

  /** One pass over every partition of every healthy device; concurrent calls share the pass. */
  runOnce(): Promise<ReplicationProgress> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops a running pass at the next partition. */
  close(): Promise<void> {
    this.stopped = true;
    return this.running ? this.running.then(() => undefined) : Promise.resolve();
  }

  private async pass(): Promise<ReplicationProgress> {
    const before = this.progress.filesCopied;
    for (const device of this.devices()) {
      if ((await device.check()).reason === 'missing') continue;
      for (const partition of await device.partitions()) {
        if (this.stopped) break;
        this.progress.partitionsScanned++;
        await this.syncPartition(device, partition).catch(() => undefined);
      }
    }
    this.progress.passes++;
    this.progress.lastPassCopied = this.progress.filesCopied - before;
    return { ...this.progress };
  }

  private async syncPartition(device: Device, partition: number): Promise<void> {
    const loc = this.placement.partition(partition);
    const targets = (await this.placement.writeTargets(loc)).filter((d) => d !== device);
    const isPrimary = loc.primaries.includes(device);
    const inWriteSet = (await this.placement.writeTargets(loc)).includes(device);
    const files = await device.list(partition);
    let complete = targets.length > 0;
    for (const target of targets) {
      const ok = await this.pushFiles(device, target, partition, files).catch(() => false);
      const idxOk = await this.pushIndexes(device, target, partition).catch(() => false);
      if (!ok || !idxOk) complete = false;
    }
    if (complete) await this.reclaim(device, partition, files);
    if (isPrimary || inWriteSet || !complete) return;
    // A handoff (or a removed device) whose data every primary now has lets go of it.
    const primariesHealthy = (await Promise.all(loc.primaries.map((d) => d.check()))).every((h) => h.ok);
    if (!primariesHealthy || !loc.primaries.every((p) => targets.includes(p))) return;
    for (const f of files) await device.remove(partition, f.hash, f.fileName);
    for (const name of await device.indexes(partition)) await device.removeIndex(partition, name);
    await device.prune(partition);
    this.progress.handoffPartitionsRemoved++;
  }

  /**
   * Forgets deletions older than the reclaim age (tombstone files and deleted index rows) once
   * every replica had a chance to learn them, as Swift's reclaim_age does.
   */
  private async reclaim(device: Device, partition: number, files: FileEntry[]): Promise<void> {
    const cutoff = this.cutoff();
    for (const f of files) {
      if (f.kind === 'tombstone' && timestampMs(f.ts) < cutoff) {
        await device.remove(partition, f.hash, f.fileName);
        this.progress.tombstonesReclaimed++;
      }
    }
    for (const name of await device.indexes(partition)) {
      const idx = await device.index(partition, name, false);
      if (idx) this.progress.tombstonesReclaimed += idx.purgeDeleted(this.cutoffStamp());
    }
  }

  private cutoff(): number {
    return this.options.clock.now() - (this.options.reclaimAgeMs ?? DEFAULT_RECLAIM_AGE_MS);
  }

  private cutoffStamp(): string {
    return `${String(Math.max(0, this.cutoff())).padStart(15, '0')}.000000`;
  }

  /** Pushes files the target lacks or has older; false when a push failed. */
  private async pushFiles(from: Device, to: Device, partition: number, files: FileEntry[]): Promise<boolean> {
    const theirs = new Map((await to.list(partition)).map((e) => [`${e.hash}/${e.name}`, e.ts]));
    let ok = true;
    for (const f of files) {
      const have = theirs.get(`${f.hash}/${f.name}`);
      if (have !== undefined && have >= f.ts) continue;
      // A tombstone past the reclaim age is being forgotten everywhere; do not spread it again.
      if (f.kind === 'tombstone' && timestampMs(f.ts) < this.cutoff()) continue;
      try {
        const copied =
          f.kind === 'tombstone' ? await this.copyRaw(from, to, f) : await this.copyData(from, to, f);
        if (copied < 0) continue;
        this.progress.filesCopied++;
        this.progress.bytesCopied += copied;
      } catch {
        ok = false;
      }
    }
    return ok;
  }

  private async copyRaw(from: Device, to: Device, f: FileEntry): Promise<number> {
    const raw = await from.readRaw(f.partition, f.hash, f.fileName);
    if (!raw) return -1;
    await to.writeRaw(f.partition, f.hash, f.fileName, raw);
    return raw.length;
  }

  /**
   * Streams a data file to another device, verifying its MD5 on the way: a corrupt copy is
   * quarantined at the source and the half-written target removed, so bad data never spreads.
   */
  private async copyData(from: Device, to: Device, f: FileEntry): Promise<number> {
    const r = await from.open(f.partition, f.hash, f.name);
    if (!r || 'tombstone' in r || r.fileName !== f.fileName) {
      if (r && !('tombstone' in r)) await r.close();
      return -1;
    }
    const reader = r;
    const footer = r.footer;
    if (footer.size < 0) {
      this.progress.corruptSkipped++;
      await from.quarantine(f.partition, f.hash, f.fileName);
      return -1;
    }
    let corrupt = false;
    async function* verified(): AsyncGenerator<Buffer> {
      const md5 = createHash('md5');
      for await (const chunk of reader.stream()) {
        md5.update(chunk as Buffer);
        yield chunk as Buffer;
      }
      if (md5.digest('hex') !== footer.md5) {
        corrupt = true;
        throw new Error(`${f.fileName} failed MD5 verification`);
      }
      yield encodeFooter(footer);
    }
    try {
      await to.writeRaw(f.partition, f.hash, f.fileName, verified());
      return footer.size;
    } catch (err) {
      if (!corrupt) throw err;
      this.progress.corruptSkipped++;
      await from.quarantine(f.partition, f.hash, f.fileName);
      return -1;
    } finally {
      await r.close();
    }
  }

  private async pushIndexes(from: Device, to: Device, partition: number): Promise<boolean> {
    for (const name of await from.indexes(partition)) {
      const src = await from.index(partition, name, false);
      const dst = await to.index(partition, name, true);
      if (!src || !dst) return false;
      if (src.fingerprint() === dst.fingerprint()) continue;
      mergeAll([src, dst]);
      dst.purgeDeleted(this.cutoffStamp());
      this.progress.indexesSynced++;
    }
    return true;
  }
}
