import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildImage } from '../image-builder.js';
import { ImageStore } from '../image-store.js';

/** The repository's busybox example (examples/images/busybox), found from the compiled file. */
export const BUSYBOX_EXAMPLE = fileURLToPath(
  new URL('../../../../examples/images/busybox/', import.meta.url),
);

/**
 * Lays out the busybox build context in `out` with the example's prepare.sh; false (and the
 * caller skips, or fails under CI=true) when Debian's busybox-static is not installed.
 */
export function prepareBusybox(out: string): boolean {
  if (!existsSync('/bin/busybox')) {
    if (process.env['CI'] === 'true') throw new Error('busybox-static (/bin/busybox) is required under CI');
    return false;
  }
  execFileSync('bash', [`${BUSYBOX_EXAMPLE}prepare.sh`, out]);
  return true;
}

/**
 * Builds the busybox example into the image store at `imagesDir` (its context laid out in
 * `contextDir`) as `busybox:1.35` or the given tags, as `make busybox-image` does; false when
 * busybox-static is missing (see `prepareBusybox`).
 */
export async function buildBusyboxImage(
  imagesDir: string,
  options: { contextDir: string; tags?: string[] },
): Promise<boolean> {
  if (!prepareBusybox(options.contextDir)) return false;
  const store = await ImageStore.open(imagesDir);
  try {
    await buildImage(store, {
      contextDir: options.contextDir,
      tags: options.tags ?? ['busybox:1.35'],
      created: new Date(0),
    });
  } finally {
    await store.close();
  }
  return true;
}
