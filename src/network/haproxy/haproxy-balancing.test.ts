/**
 * The balancing contract on the haproxy data plane (HAProxy 2.6 with two threads, driven
 * through its Runtime API), against the same real upstreams and clients as the node one.
 */
import { balancingContract } from '../balancing/balancing-contract.js';
import { ALGORITHMS } from '../proxy-config.js';
import { dataPlaneSubject } from '../testing/data-plane-subject.js';
import { HaproxyDataPlane } from './haproxy-data-plane.js';
import { withHaproxy } from './testing.js';

withHaproxy('haproxy data plane: balancing', () => {
  for (const algorithm of ALGORITHMS) {
    balancingContract(
      'haproxy data plane',
      algorithm,
      async () => dataPlaneSubject(await HaproxyDataPlane.start({ drainMs: 1000 }), algorithm),
      { exact: false, remapKeys: 1000 },
    );
  }
});
