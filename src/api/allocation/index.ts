/**
 * Service address allocation: pure range logic (`range-allocator.ts`, `service-ranges.ts`,
 * `service-fields.ts`, `ip-families.ts`) and the store-backed allocator with the admission step
 * the write pipeline runs for Services.
 */
import type { Store } from '../../store/index.js';
import { ServiceAdmission } from './service-admission.js';
import { ServiceAllocator } from './service-allocator.js';
import {
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  parsePortRange,
  parseServiceCidr,
} from './service-ranges.js';

export { ServiceAllocator } from './service-allocator.js';
export { ServiceAdmission } from './service-admission.js';
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
 * Builds the allocator and the Services' admission step from the configured ranges; throws a
 * ServiceRangeError for a range it cannot use. The allocator must be started before serving.
 */
export function serviceAllocation(
  store: Store,
  options: ServiceNetworkOptions = {},
): { allocator: ServiceAllocator; admission: ServiceAdmission } {
  const allocator = new ServiceAllocator(store, {
    ipRange: parseServiceCidr(options.clusterIPRange ?? DEFAULT_SERVICE_CIDR),
    portRange: parsePortRange(options.nodePortRange ?? DEFAULT_NODE_PORT_RANGE),
    onWarning: options.onWarning ?? ((m) => process.stderr.write(`services: ${m}\n`)),
  });
  return { allocator, admission: new ServiceAdmission(allocator) };
}
