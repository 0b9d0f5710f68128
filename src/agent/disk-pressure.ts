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

  /** Records a refused write; true when it is the first within the hold period. */
  failed(message: string): boolean {
    const first = this.recentFailure() === undefined;
    this.lastFailure = { at: this.clock.now(), message };
    return first;
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
    const f = this.recentFailure();
    return f === undefined ? undefined : `a write to the disk failed: ${f}`;
  }

  private recentFailure(): string | undefined {
    const f = this.lastFailure;
    return f !== undefined && this.clock.now() - f.at < this.holdMs ? f.message : undefined;
  }
}
