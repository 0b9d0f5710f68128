import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Device } from './device/device.js';

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
}

/** Options of the Auditor. */
export interface AuditorOptions {
  /** Read rate limit in bytes per second; default unlimited. */
  bytesPerSecond?: number;
}

/**
 * Walks every device's data files at a bounded rate, recomputes each body's MD5 against the one
 * in its footer, and quarantines copies that do not match (the replicator then restores them
 * from a good replica). It never repairs by itself, so a bug here cannot spread bad data.
 */
export class Auditor {
  readonly progress: AuditProgress = {
    passes: 0,
    objectsChecked: 0,
    corruptFound: 0,
    bytesChecked: 0,
    lastPassObjects: 0,
    lastPassCorrupt: 0,
  };
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
      }
    }
    delete this.progress.current;
    this.progress.passes++;
    this.progress.lastPassObjects = objects;
    this.progress.lastPassCorrupt = corrupt;
    return { ...this.progress };
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
