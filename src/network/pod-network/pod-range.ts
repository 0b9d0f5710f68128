/**
 * Address math of a node's pod range (`node.spec.podCIDR`): the first host address is the
 * bridge's gateway (as the kubenet and bridge CNI plugins use it), the rest are pods'. Pure.
 */
import { formatIPv4, parseCidr, parseIPv4 } from '../../common/ip-address.js';
import { podRangeInvalid } from '../errors.js';

/** An IPv4 pod range with its gateway and the offsets pods may take. */
export interface PodRange {
  /** The CIDR as `A.B.C.D/P` with host bits cleared. */
  cidr: string;
  prefix: number;
  /** The network address as a number. */
  base: number;
  /** The first host address, the bridge's. */
  gateway: string;
  /** How many pod addresses there are (offsets 0 … size-1). */
  size: number;
}

/** Parses a node's pod CIDR; `POD_NETWORK_RANGE_INVALID` unless IPv4 with at least 2 pod addresses. */
export function parsePodRange(text: string): PodRange {
  const cidr = parseCidr(text);
  if (cidr === undefined || cidr.family !== 'IPv4') throw podRangeInvalid(text, 'not an IPv4 CIDR');
  if (cidr.prefix > 29) throw podRangeInvalid(text, 'needs a prefix of /29 or shorter');
  const total = 2 ** (32 - cidr.prefix);
  return {
    cidr: `${formatIPv4(cidr.base)}/${cidr.prefix}`,
    prefix: cidr.prefix,
    base: cidr.base,
    gateway: formatIPv4(cidr.base + 1),
    // Network, gateway and broadcast are not pods'.
    size: total - 3,
  };
}

/** The pod address at an offset (0 is the address after the gateway). */
export function podAddressAt(range: PodRange, offset: number): string {
  if (!Number.isInteger(offset) || offset < 0 || offset >= range.size) {
    throw new RangeError(`offset ${offset} is outside 0-${range.size - 1}`);
  }
  return formatIPv4(range.base + 2 + offset);
}

/** The offset of a pod address, or undefined when it is not one of the range's pod addresses. */
export function podOffsetOf(range: PodRange, ip: string): number | undefined {
  const v = parseIPv4(ip);
  if (v === undefined) return undefined;
  const offset = v - range.base - 2;
  return offset >= 0 && offset < range.size ? offset : undefined;
}
