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

import { NodeCidrAllocator } from './node-cidr-allocator.js';
import { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE, parsePodCidrs } from './pod-cidrs.js';

export { NodeCidrAllocator } from './node-cidr-allocator.js';
export { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE, parsePodCidrs, podCidrAt } from './pod-cidrs.js';
export { ServiceAllocator } from './service-allocator.js';
export { ServiceHook } from './service-hook.js';
export { DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR, parsePortRange, parseServiceCidr };

/** The Service ranges of an API server. */
export interface ServiceNetworkOptions {
  /** `--service-cluster-ip-range`; default 127.77.0.0/16. */
  clusterIPRange?: string;
  /** `--service-node-port-range`; default 30000-32767. */
  nodePortRange?: string;
  /** `--cluster-cidr`, cut into node pod ranges; default 10.244.0.0/16. */
  clusterCidr?: string;
  /** `--node-cidr-mask-size`; default 24. */
  nodeCidrMaskSize?: number;
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
): { allocator: ServiceAllocator; hook: ServiceHook; nodes: NodeCidrAllocator } {
  const allocator = new ServiceAllocator(store, {
    ipRange: parseServiceCidr(options.clusterIPRange ?? DEFAULT_SERVICE_CIDR),
    portRange: parsePortRange(options.nodePortRange ?? DEFAULT_NODE_PORT_RANGE),
    onWarning: options.onWarning ?? ((m) => process.stderr.write(`services: ${m}\n`)),
  });
  const nodes = new NodeCidrAllocator(
    store,
    parsePodCidrs(
      options.clusterCidr ?? DEFAULT_CLUSTER_CIDR,
      options.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE,
    ),
    options.onWarning ?? ((m) => process.stderr.write(`nodes: ${m}\n`)),
  );
  return { allocator, hook: new ServiceHook(allocator), nodes };
}

/**
 * The ClusterIP of the `default/kubernetes` Service: the first address of the range, which
 * Kubernetes keeps for it (it lies in the band dynamic allocation uses last).
 */
export function apiServerServiceIP(clusterIPRange: string = DEFAULT_SERVICE_CIDR): string {
  return ipAt(parseServiceCidr(clusterIPRange), 0);
}
