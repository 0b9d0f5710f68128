/**
 * The free-space rules every part that writes to disk shares (pure: the statfs calls stay at the
 * edges). A reserve keeps a file system from filling up: writes that would eat into it are
 * refused with a clear error while reads, and the deletes that free space, keep working.
 */

const GIB = 1024 * 1024 * 1024;

/**
 * The default reserve of a file system of `totalBytes`: 2 % of it, at most 1 GiB (Swift's
 * `fallocate_reserve` is 1 %; a 64 MiB test volume keeps about 1.3 MiB, a large disk 1 GiB).
 */
export function defaultReserveBytes(totalBytes: number): number {
  return Math.min(GIB, Math.ceil(Math.max(0, totalBytes) * 0.02));
}

/** Error codes of a file system or SQLite database that has no room left. */
const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** True when `err` says the disk (or the user's quota) is full. */
export function isDiskFull(err: unknown): boolean {
  return FULL.has(String((err as { code?: unknown } | undefined)?.code));
}

/**
 * True when `err` is a failure of the disk itself or of its space: full, read-only, or an I/O
 * error (EIO, SQLite's `SQLITE_IOERR_*`). The operation fails; the process goes on.
 */
export function isDiskError(err: unknown): boolean {
  const code = String((err as { code?: unknown } | undefined)?.code);
  return FULL.has(code) || code === 'EIO' || code === 'EROFS' || code.startsWith('SQLITE_IOERR');
}

/** Bytes in a short human form for messages and tables: `512 B`, `12.3 MiB`. */
export function describeBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** The message of a write refused because free space is below the reserve. */
export function belowReserve(what: string, freeBytes: number, reserveBytes: number): string {
  return (
    `${what}: ${describeBytes(freeBytes)} free, below the reserve of ${describeBytes(reserveBytes)} ` +
    'kept so that the disk never fills; free some space (deletes still work)'
  );
}
