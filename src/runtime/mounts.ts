import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The mount points of this mount namespace, from /proc/self/mountinfo (octal escapes decoded). */
export function mountPoints(): string[] {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .flatMap((line) => {
        const p = line.split(' ')[4];
        return p === undefined
          ? []
          : [p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))];
      });
  } catch {
    return [];
  }
}

/** True when `dir` is a mount point. */
export function isMounted(dir: string): boolean {
  return mountPoints().includes(dir);
}

/**
 * Unmounts (lazily, should a process still hold one) every mount at or below `dir`, deepest
 * first; true when none is left.
 */
export function unmountUnder(dir: string): boolean {
  const below = (): string[] => mountPoints().filter((p) => p === dir || p.startsWith(`${dir}/`));
  for (const p of below().sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['-l', p], { stdio: 'ignore' });
    } catch {
      // reported by what is left below
    }
  }
  return below().length === 0;
}
