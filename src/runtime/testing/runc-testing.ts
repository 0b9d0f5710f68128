import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { runcAvailable } from '../runc/runc-runtime.js';
import { BUSYBOX } from './host-image.js';

/**
 * Why runc tests cannot run here, or undefined when they can: root, runc, Debian's static tini and
 * busybox-static, overlayfs. Under CI=true a missing part fails the test instead of skipping it.
 */
export function runcMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!runcAvailable()) return 'needs runc and tini-static (make system-deps)';
  if (!existsSync(BUSYBOX)) return 'needs busybox-static (make system-deps)';
  try {
    execFileSync('grep', ['-qw', 'overlay', '/proc/filesystems']);
  } catch {
    return 'needs overlayfs';
  }
  return undefined;
}

/** Skips the test with a printed reason when runc cannot run here (fails under CI=true). */
export function skipUnlessRunc(t: TestContext): boolean {
  const why = runcMissing();
  if (why === undefined) return false;
  if (process.env['CI'] === 'true') throw new Error(`runc tests ${why}`);
  process.stderr.write(`skipping runc test: ${why}\n`);
  t.skip(why);
  return true;
}
