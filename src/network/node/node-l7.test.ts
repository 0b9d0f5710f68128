/** The L7 behaviour and availability suites on the node data plane (two threads). */
import { availabilityContract } from '../testing/availability-contract.js';
import { l7Contract } from '../testing/l7-contract.js';
import { NodeDataPlane } from './node-data-plane.js';

const make = (accessLogPath: string) => NodeDataPlane.start({ threads: 2, drainMs: 2000, accessLogPath });
l7Contract('node data plane', make);
availabilityContract('node data plane', make);
