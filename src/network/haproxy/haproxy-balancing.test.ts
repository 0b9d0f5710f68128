/**
 * The balancing contract on the haproxy data plane (HAProxy 2.6 with two threads, driven
 * through its Runtime API), against the same real upstreams and clients as the node one.
 */
import { describe, it } from 'node:test';
import { balancingContract } from '../balancing/balancing-contract.js';
import { ALGORITHMS } from '../proxy-config.js';
import { dataPlaneSubject } from '../testing/data-plane-subject.js';
import { HaproxyDataPlane } from './haproxy-data-plane.js';
import { findHaproxy } from './haproxy-process.js';

if (findHaproxy() === undefined) {
  describe('haproxy data plane', () => {
    it('needs HAProxy (Debian package haproxy; `make system-deps` installs it as root)', (t) => {
      if (process.env.CI === 'true') throw new Error('HAProxy is not installed');
      t.skip('HAProxy is not installed');
    });
  });
} else {
  for (const algorithm of ALGORITHMS) {
    balancingContract(
      'haproxy data plane',
      algorithm,
      async () => dataPlaneSubject(await HaproxyDataPlane.start({ drainMs: 1000 }), algorithm),
      { exact: false, remapKeys: 1000 },
    );
  }
}
