/** The L7 behaviour and availability suites on the haproxy data plane (HAProxy 2.6). */
import { describe, it } from 'node:test';
import { availabilityContract } from '../testing/availability-contract.js';
import { l7Contract } from '../testing/l7-contract.js';
import { HaproxyDataPlane } from './haproxy-data-plane.js';
import { findHaproxy } from './haproxy-process.js';

if (findHaproxy() === undefined) {
  describe('haproxy data plane: L7 behaviour', () => {
    it('needs HAProxy (Debian package haproxy)', (t) => {
      if (process.env.CI === 'true') throw new Error('HAProxy is not installed');
      t.skip('HAProxy is not installed');
    });
  });
} else {
  const make = (accessLogPath: string) => HaproxyDataPlane.start({ drainMs: 2000, accessLogPath });
  l7Contract('haproxy data plane', make);
  availabilityContract('haproxy data plane', make);
}
