/**
 * Service address allocation: pure range logic (`range-allocator.ts`, `service-ranges.ts`,
 * `service-fields.ts`, `ip-families.ts`), the store-backed allocator, and the registry hook the
 * write pipeline runs for Services.
 */
import type { Store } from '../../store/index.js';
import { ServiceHook } from './service-hook.js';
import { ServiceAllocator } from './service-allocator.js';
import {
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  ipAt,
  parsePortRange,
  parseServiceCidr,
} from './service-ranges.js';

export { ServiceAllocator } from './service-allocator.js';
export { ServiceHook } from './service-hook.js';
export { DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR, parsePortRange, parseServiceCidr };

/** The Service ranges of an API server. */
export interface ServiceNetworkOptions {
  /** `--service-cluster-ip-range`; default 127.77.0.0/16. */
  clusterIPRange?: string;
  /** `--service-node-port-range`; default 30000-32767. */
  nodePortRange?: string;
  /** Told about inconsistent stored Services at start; default: written to stderr. */
  onWarning?: (message: string) => void;
}

/**
 * Builds the allocator and the Services' registry hook from the configured ranges; throws a
 * ServiceRangeError for a range it cannot use. The allocator must be started before serving.
 */
export function serviceAllocation(
  store: Store,
  options: ServiceNetworkOptions = {},
): { allocator: ServiceAllocator; hook: ServiceHook } {
  const allocator = new ServiceAllocator(store, {
    ipRange: parseServiceCidr(options.clusterIPRange ?? DEFAULT_SERVICE_CIDR),
    portRange: parsePortRange(options.nodePortRange ?? DEFAULT_NODE_PORT_RANGE),
    onWarning: options.onWarning ?? ((m) => process.stderr.write(`services: ${m}\n`)),
  });
  return { allocator, hook: new ServiceHook(allocator) };
}

/**
 * The ClusterIP of the `default/kubernetes` Service: the first address of the range, which
 * Kubernetes keeps for it (it lies in the band dynamic allocation uses last).
 */
export function apiServerServiceIP(clusterIPRange: string = DEFAULT_SERVICE_CIDR): string {
  return ipAt(parseServiceCidr(clusterIPRange), 0);
}
