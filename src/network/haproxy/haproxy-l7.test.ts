/** The L7 behaviour and availability suites on the haproxy data plane (HAProxy 2.6). */
import { availabilityContract } from '../testing/availability-contract.js';
import { l7Contract } from '../testing/l7-contract.js';
import { HaproxyDataPlane } from './haproxy-data-plane.js';
import { withHaproxy } from './testing.js';

withHaproxy('haproxy data plane: L7 behaviour', () => {
  const make = (accessLogPath: string) => HaproxyDataPlane.start({ drainMs: 2000, accessLogPath });
  l7Contract('haproxy data plane', make);
  availabilityContract('haproxy data plane', make);
});
