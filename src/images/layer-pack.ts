import { lstat, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './run-tool.js';

/** Options of a layer tar: owner of every entry (COPY --chown) and whether to convert whiteouts. */
export interface PackOptions {
  /** Numeric owner for every entry; default 0. */
  uid?: number;
  /** Numeric group for every entry; default 0. */
  gid?: number;
}

/**
 * Converts an overlayfs upper directory to OCI form in place: every 0:0 character device NAME
 * becomes an empty `.wh.NAME`, every folder with `trusted.overlay.opaque=y` gets a
 * `.wh..wh..opq` file (and loses the attribute).
 */
export async function overlayToOci(dir: string): Promise<void> {
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isCharacterDevice() && (await lstat(path)).rdev === 0) {
        await rm(path);
        await writeFile(join(folder, `.wh.${entry.name}`), '');
      } else if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(dir);
  const dump = await runTool('getfattr', [
    '-R',
    '-P',
    '--absolute-names',
    '-d',
    '-m',
    '^trusted\\.overlay\\.opaque$',
    dir,
  ]);
  for (const m of dump.matchAll(/^# file: (.*)\ntrusted\.overlay\.opaque="y"/gm)) {
    const folder = m[1] ?? '';
    await writeFile(join(folder, '.wh..wh..opq'), '');
    await runTool('setfattr', ['-x', 'trusted.overlay.opaque', folder]);
  }
}

/**
 * Tars a folder as a layer: sorted names, fixed times, numeric owners, so that the same content
 * always gives the same digest (the build cache relies on it). Extended attributes are kept.
 */
export async function packLayer(dir: string, out: string, options: PackOptions = {}): Promise<void> {
  await runTool('tar', [
    '-c',
    '-f',
    out,
    '-C',
    dir,
    '--sort=name',
    '--mtime=@0',
    `--owner=${options.uid ?? 0}`,
    `--group=${options.gid ?? 0}`,
    '--numeric-owner',
    '--xattrs',
    // pax headers would carry atime and ctime: drop them so equal content gives equal bytes.
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--xattrs-exclude=trusted.overlay.*',
    '.',
  ]);
}
