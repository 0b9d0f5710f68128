import { statfsSync } from 'node:fs';
import { belowReserve, defaultReserveBytes } from '../common/disk-space.js';
import type { Clock } from '../common/clock.js';

/**
 * What the agent knows about the disk of its data directory, for the Node's `DiskPressure`
 * condition: free space below the reserve (`defaultReserveBytes` of the file system), or a write
 * the disk refused (a container's log, a container record) less than `holdMs` ago (default five
 * minutes, kubelet's `--eviction-pressure-transition-period`).
 */
export class DiskPressure {
  private lastFailure: { at: number; message: string } | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly clock: Clock,
    private readonly holdMs = 300_000,
  ) {}

  /** Records a refused write; true when the node was not under pressure before it. */
  failed(message: string): boolean {
    const was = this.current() !== undefined;
    this.lastFailure = { at: this.clock.now(), message };
    return !was;
  }

  /** Why the node is under disk pressure, or undefined when it is not. */
  current(): string | undefined {
    try {
      const fs = statfsSync(this.dataDir);
      const free = fs.bavail * fs.bsize;
      const reserve = defaultReserveBytes(fs.blocks * fs.bsize);
      if (free < reserve) return belowReserve(`the disk of ${this.dataDir}`, free, reserve);
    } catch {
      // a data dir that cannot be looked at shows up in the writes that fail
    }
    const f = this.lastFailure;
    if (f !== undefined && this.clock.now() - f.at < this.holdMs)
      return `a write to the disk failed: ${f.message}`;
    return undefined;
  }
}
