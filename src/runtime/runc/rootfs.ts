import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isMounted } from '../mounts.js';
import type { IdFiles } from './image-user.js';

const run = promisify(execFile);

/** The folders of one container's root file system inside its bundle. */
export interface RootfsPaths {
  rootfs: string;
  upper: string;
  work: string;
}

/** Where a bundle keeps its root file system: `rootfs` (the mount point), `upper`, `work`. */
export function rootfsPaths(bundle: string): RootfsPaths {
  return { rootfs: join(bundle, 'rootfs'), upper: join(bundle, 'upper'), work: join(bundle, 'work') };
}

/**
 * Mounts an overlay at `paths.rootfs`: the image's layers below (read-only, shared by every
 * container of the image), `paths.upper` above (this container's writes), `paths.work` for the
 * kernel. `layerDirs` are lowest first, as the image store unpacks them; overlayfs wants the
 * topmost first. A single layer without an upper is never used: the root stays writable unless
 * the config says `readonly`.
 */
export async function mountOverlay(layerDirs: readonly string[], paths: RootfsPaths): Promise<void> {
  if (layerDirs.length === 0) throw new RangeError('an overlay needs at least one layer');
  for (const d of [paths.rootfs, paths.upper, paths.work]) mkdirSync(d, { recursive: true, mode: 0o755 });
  const lower = [...layerDirs].reverse().join(':');
  const options = `lowerdir=${lower},upperdir=${paths.upper},workdir=${paths.work}`;
  await run('mount', ['-t', 'overlay', 'overlay', '-o', options, paths.rootfs]);
}

/** Unmounts the overlay (lazily, should a process still hold it) and removes the bundle folder. */
export async function removeBundle(bundle: string): Promise<void> {
  const { rootfs } = rootfsPaths(bundle);
  if (isMounted(rootfs)) await run('umount', ['-l', rootfs]).catch(() => undefined);
  if (!isMounted(rootfs)) rmSync(bundle, { recursive: true, force: true });
}

/** The image's `/etc/passwd` and `/etc/group` as seen in the mounted root (empty when missing). */
export function readIdFiles(rootfs: string): IdFiles {
  const read = (f: string): string => {
    const p = join(rootfs, f);
    try {
      return existsSync(p) ? readFileSync(p, 'utf8') : '';
    } catch {
      return '';
    }
  };
  return { passwd: read('etc/passwd'), group: read('etc/group') };
}
