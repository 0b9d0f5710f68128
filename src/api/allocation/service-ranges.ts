import { formatIPv4, parseCidr, parseIPv4, type Cidr } from '../../common/ip-address.js';
import { ServiceRangeError } from '../errors.js';

/** The ClusterIP range when none is configured: all of 127/8 routes to `lo`, so no root is needed. */
export const DEFAULT_SERVICE_CIDR = '127.77.0.0/16';

/** The NodePort range when none is configured, as kube-apiserver's. */
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

/** An IPv4 Service range: offset 0 is the first address after the network address. */
export interface ServiceIPRange {
  cidr: Cidr;
  /** The address of offset 0, as a number. */
  first: number;
  /** Usable addresses: the block without its network and broadcast addresses. */
  size: number;
}

/** A NodePort range `base … base+size-1`. */
export interface PortRange {
  base: number;
  size: number;
  /** `30000-32767`, as error messages print it. */
  text: string;
}

/**
 * Parses `--service-cluster-ip-range`: an IPv4 CIDR of /12 (2^20 addresses, Kubernetes' limit)
 * to /30. Throws a ServiceRangeError naming the problem.
 */
export function parseServiceCidr(text: string): ServiceIPRange {
  const cidr = parseCidr(text);
  if (cidr === undefined) {
    throw new ServiceRangeError(`service cluster IP range "${text}" is not a CIDR (e.g. 127.77.0.0/16)`);
  }
  if (cidr.family !== 'IPv4') {
    throw new ServiceRangeError(
      `service cluster IP range "${text}" must be IPv4: IPv6 Services are not supported`,
    );
  }
  if (cidr.prefix < 12 || cidr.prefix > 30) {
    throw new ServiceRangeError(
      `service cluster IP range "${text}" must have a prefix length from 12 to 30 (at most 2^20 addresses)`,
    );
  }
  return { cidr, first: cidr.base + 1, size: 2 ** (32 - cidr.prefix) - 2 };
}

/** Parses `--service-node-port-range`: `LOW-HIGH` or a single port, within 1-65535. */
export function parsePortRange(text: string): PortRange {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  const low = m ? Number(m[1]) : NaN;
  const high = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(low >= 1 && high <= 65535 && low <= high)) {
    throw new ServiceRangeError(
      `node port range "${text}" must be LOW-HIGH within 1-65535 (e.g. 30000-32767)`,
    );
  }
  return { base: low, size: high - low + 1, text: `${low}-${high}` };
}

/** The offset of an IPv4 address in the range, or undefined when outside it. */
export function ipOffset(range: ServiceIPRange, ip: string): number | undefined {
  const n = parseIPv4(ip);
  if (n === undefined) return undefined;
  const offset = n - range.first;
  return offset >= 0 && offset < range.size ? offset : undefined;
}

/** The address at an offset of the range. */
export function ipAt(range: ServiceIPRange, offset: number): string {
  return formatIPv4(range.first + offset);
}

/**
 * The lower band kept for requested values, as Kubernetes sizes it: for IPs 1/16 of the range
 * between 16 and 256 addresses; for ports 1/32 between 16 and 128 (none for tiny ranges).
 */
export function staticBand(size: number, kind: 'ip' | 'port'): number {
  const [step, max] = kind === 'ip' ? [16, 256] : [32, 128];
  if (size < 16) return 0;
  return Math.min(Math.max(Math.floor(size / step), 16), max);
}
