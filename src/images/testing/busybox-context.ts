import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
