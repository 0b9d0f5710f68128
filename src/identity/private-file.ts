import { chmod, rename, writeFile } from 'node:fs/promises';

/**
 * Writes a file atomically (a temporary file renamed over it) with `mode`, which is set also when
 * the umask would narrow or a leftover temporary file would widen it: keys and tokens 0600.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}
