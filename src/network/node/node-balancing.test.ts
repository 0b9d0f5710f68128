/**
 * The balancing contract on the node data plane: two threads, real upstreams, real clients.
 */
import { balancingContract } from '../balancing/balancing-contract.js';
import { ALGORITHMS } from '../proxy-config.js';
import { dataPlaneSubject } from '../testing/data-plane-subject.js';
import { NodeDataPlane } from './node-data-plane.js';

for (const algorithm of ALGORITHMS) {
  balancingContract(
    'node data plane',
    algorithm,
    async () => dataPlaneSubject(await NodeDataPlane.start({ threads: 2, drainMs: 1000 }), algorithm),
    { exact: false, remapKeys: 1000 },
  );
}
