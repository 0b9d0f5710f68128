import { link, open, readFile, rename, rm } from 'node:fs/promises';
import { processExists } from './process-exists.js';

/**
 * Runs `fn` holding an exclusive lock between processes: the file `path`, created with `wx`
 * and holding the holder's pid, removed when `fn` settles. A lock whose holder is gone (a crash)
 * is taken over: moved aside under a name of our own first, so that two processes taking over
 * at once cannot both win; a live lock moved aside by mistake is linked back. Waiters poll,
 * from 5 ms up to 100 ms apart.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(String(process.pid));
      } finally {
        await fh.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(await readFile(path, 'utf8').catch(() => ''));
    // An empty file is a holder between its create and its write: alive.
    if (holder > 0 && !processExists(holder)) {
      const aside = `${path}.${process.pid}.stale`;
      if (
        await rename(path, aside).then(
          () => true,
          () => false,
        )
      ) {
        const moved = Number(await readFile(aside, 'utf8').catch(() => ''));
        if (moved !== holder) await link(aside, path).catch(() => undefined);
        await rm(aside, { force: true });
        continue;
      }
    }
    await new Promise((r) => setTimeout(r, Math.min(5 * 2 ** attempt, 100)));
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
