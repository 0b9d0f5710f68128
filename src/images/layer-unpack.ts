import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { digestHex, syncDir } from './blob-store.js';
import { archiveInvalid } from './errors.js';
import { runTool } from './run-tool.js';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Undoes GNU tar's default `escape` quoting of member names in its verbose listing. */
function unescapeTarName(name: string): string {
  return name.replace(/\\(\\|n|t|[0-7]{3})/g, (_m, c: string) =>
    c === '\\' ? '\\' : c === 'n' ? '\n' : c === 't' ? '\t' : String.fromCharCode(parseInt(c, 8)),
  );
}

/**
 * The whiteouts among a layer's member names, as OCI writes them: `.wh..wh..opq` marks its
 * folder opaque, `.wh.NAME` deletes NAME from the layers below.
 */
export function findWhiteouts(names: readonly string[]): { opaque: string[]; deleted: string[] } {
  const opaque: string[] = [];
  const deleted: string[] = [];
  for (const raw of names) {
    const name = raw.replace(/\/+$/, '');
    const base = basename(name);
    if (base === OPAQUE) opaque.push(dirname(name));
    else if (base.startsWith(WHITEOUT)) deleted.push(join(dirname(name), base.slice(WHITEOUT.length)));
  }
  return { opaque, deleted };
}

/**
 * Unpacks a layer blob (tar, gzip-compressed or not: GNU tar detects it) into `target`, the
 * folder an overlayfs mount uses as a lower directory, converting OCI whiteouts to overlayfs
 * form: `.wh.NAME` becomes a 0:0 character device NAME, `.wh..wh..opq` the
 * `trusted.overlay.opaque=y` attribute on its folder (root only, as overlayfs needs). The layer
 * is extracted beside `target` and renamed into place after a syncfs, so a crash never leaves a
 * half-unpacked layer where a container would use it.
 */
export async function unpackLayer(blobPath: string, target: string, tmp: string): Promise<void> {
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true, mode: 0o755 });
  try {
    const listing = await runTool('tar', [
      '-x',
      '-v',
      '-f',
      blobPath,
      '-C',
      tmp,
      '--numeric-owner',
      '--same-permissions',
      '--xattrs',
      '--xattrs-include=*',
    ]).catch((err: Error) => {
      throw archiveInvalid(`cannot unpack layer ${basename(blobPath)}: ${err.message}`);
    });
    const names = listing
      .split('\n')
      .filter((n) => n !== '')
      .map(unescapeTarName);
    const { opaque, deleted } = findWhiteouts(names);
    for (const dir of opaque) {
      await rm(join(tmp, dir, OPAQUE), { force: true });
      await runTool('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(tmp, dir)]);
    }
    for (const path of deleted) {
      await rm(join(tmp, dirname(path), WHITEOUT + basename(path)), { force: true });
      await rm(join(tmp, path), { recursive: true, force: true });
      await runTool('mknod', ['-m', '0', join(tmp, path), 'c', '0', '0']);
    }
    await runTool('sync', ['-f', tmp]);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    await rename(tmp, target);
    await syncDir(dirname(target));
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** The folder a layer blob unpacks to: `layers/sha256/<hex>` (no colon: overlayfs splits on it). */
export function layerDir(root: string, digest: string): string {
  return join(root, 'layers', 'sha256', digestHex(digest));
}

/** True when the layer has been unpacked. */
export async function isUnpacked(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
