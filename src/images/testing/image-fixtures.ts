import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** sha256 of bytes as `sha256:…`. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Tars a folder's contents as a layer (GNU tar, root-owned, sorted, fixed times). */
export function tarFolder(dir: string, out: string): void {
  execFileSync('tar', [
    '-c',
    '-f',
    out,
    '-C',
    dir,
    '--sort=name',
    '--mtime=@0',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '.',
  ]);
}

/**
 * Writes a legacy `docker save` tarball (manifest.json, `<id>/layer.tar`, `<id>.json` config)
 * of the given layer folders, as Docker before 25 wrote it. Returns its path.
 */
export async function writeDockerSave(
  work: string,
  layerFolders: string[],
  options: { tags: string[]; config?: Record<string, unknown> },
): Promise<string> {
  const out = join(work, 'archive');
  await mkdir(out, { recursive: true });
  const diffIds: string[] = [];
  const layers: string[] = [];
  for (const [i, folder] of layerFolders.entries()) {
    await mkdir(join(out, `l${i}`));
    tarFolder(folder, join(out, `l${i}`, 'layer.tar'));
    diffIds.push(sha256(await readFile(join(out, `l${i}`, 'layer.tar'))));
    layers.push(`l${i}/layer.tar`);
  }
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: '2026-01-01T00:00:00Z',
    config: options.config ?? {},
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
  const configName = `${sha256(Buffer.from(config)).slice(7)}.json`;
  await writeFile(join(out, configName), config);
  await writeFile(
    join(out, 'manifest.json'),
    JSON.stringify([{ Config: configName, RepoTags: options.tags, Layers: layers }]),
  );
  const file = join(work, 'image.tar');
  execFileSync('tar', ['-c', '-f', file, '-C', out, '.']);
  return file;
}
