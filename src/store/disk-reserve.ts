import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { belowReserve, defaultReserveBytes, isDiskError, isDiskFull } from '../common/disk-space.js';
import { storeDiskError, storeDiskFull } from './errors.js';
import type { WriteOp } from './sqlite-writes.js';

/**
 * The free-space reserve of a store file's file system. Below the reserve creates are refused,
 * below half of it updates too (heartbeats and status writes, which replace what is there, go on
 * a while longer), with STORE_DISK_FULL (507); deletes, which free space, always run. A commit
 * that fails on the disk itself becomes STORE_DISK_FULL or STORE_IO_ERROR rather than SQLite's
 * own error.
 */
export class DiskReserve {
  /** Free bytes kept; 0 when the check is off. */
  readonly reserveBytes: number;

  /** `reserveBytes` defaults to `defaultReserveBytes` of the file system holding `path`. */
  constructor(
    private readonly path: string,
    reserveBytes: number | undefined,
  ) {
    this.reserveBytes = Math.max(0, reserveBytes ?? defaultReserveBytes(this.fileSystem().total));
  }

  /** The writes of `batch` the reserve allows; the others are rejected with STORE_DISK_FULL. */
  admit<T extends { op: WriteOp; reject(err: unknown): void }>(batch: T[]): T[] {
    if (this.reserveBytes === 0) return batch;
    const free = this.fileSystem().free;
    if (free >= this.reserveBytes) return batch;
    return batch.filter((p) => {
      const { op } = p;
      if (op.kind === 'delete' || (op.kind === 'update' && free >= this.reserveBytes / 2)) return true;
      const name = op.object.metadata?.name ?? '';
      const what = `cannot ${op.kind} ${op.resource} "${name}"`;
      p.reject(
        storeDiskFull(belowReserve(what, free, this.reserveBytes), {
          resource: op.resource,
          name,
          freeBytes: free,
          reserveBytes: this.reserveBytes,
        }),
      );
      return false;
    });
  }

  /** What a failed commit is reported as: a disk failure gets a store code, others stay. */
  failure(err: unknown): unknown {
    if (isDiskFull(err)) {
      return storeDiskFull(`the disk of ${this.path} is full: ${(err as Error).message}`, {
        path: this.path,
      });
    }
    return isDiskError(err) ? storeDiskError(this.path, err) : err;
  }

  private fileSystem(): { total: number; free: number } {
    try {
      const fs = statfsSync(dirname(this.path));
      return { total: fs.blocks * fs.bsize, free: fs.bavail * fs.bsize };
    } catch {
      return { total: 0, free: Infinity };
    }
  }
}
