/**
 * Test support of the haproxy data plane: registers `suites` when HAProxy is installed, and
 * otherwise one test that is skipped with the reason (failed under CI=true).
 */
import { describe, it } from 'node:test';
import { findHaproxy } from './haproxy-process.js';

/** See the file comment. */
export function withHaproxy(label: string, suites: () => void): void {
  if (findHaproxy() !== undefined) return suites();
  describe(label, () => {
    it('needs HAProxy (Debian package haproxy; `make system-deps` installs it as root)', (t) => {
      if (process.env.CI === 'true') throw new Error('HAProxy is not installed');
      t.skip('HAProxy is not installed');
    });
  });
}
