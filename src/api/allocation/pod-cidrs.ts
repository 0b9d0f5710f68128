/**
 * The cluster's pod range cut into one block per node (kube-controller-manager's
 * `--cluster-cidr` and `--node-cidr-mask-size`, default 10.244.0.0/16 in /24s, as flannel's and
 * kubeadm's guides use). Pure.
 */
import { formatIPv4, parseCidr, type Cidr } from '../../common/ip-address.js';
import { ClusterCidrError } from '../errors.js';

/** Default `--cluster-cidr`. */
export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
/** Default `--node-cidr-mask-size`. */
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;

/** A cluster range cut into node blocks. */
export interface PodCidrs {
  cidr: Cidr;
  maskSize: number;
  /** How many node blocks there are. */
  size: number;
}

/** Parses the flags; a ClusterCidrError naming the problem. */
export function parsePodCidrs(text: string, maskSize = DEFAULT_NODE_CIDR_MASK_SIZE): PodCidrs {
  const cidr = parseCidr(text);
  if (cidr === undefined || cidr.family !== 'IPv4') {
    throw new ClusterCidrError(`cluster CIDR "${text}" is not an IPv4 CIDR (e.g. ${DEFAULT_CLUSTER_CIDR})`);
  }
  if (!Number.isInteger(maskSize) || maskSize < cidr.prefix || maskSize > 29 || maskSize - cidr.prefix > 16) {
    throw new ClusterCidrError(
      `node CIDR mask size ${maskSize} must be between the cluster CIDR's /${cidr.prefix} and /29, at most 16 bits longer`,
    );
  }
  return { cidr, maskSize, size: 2 ** (maskSize - cidr.prefix) };
}

/** The node block at an offset. */
export function podCidrAt(r: PodCidrs, offset: number): string {
  return `${formatIPv4(r.cidr.base + offset * 2 ** (32 - r.maskSize))}/${r.maskSize}`;
}

/** The offset of a node block, or undefined when `text` is not one of the range's blocks. */
export function podCidrOffset(r: PodCidrs, text: string): number | undefined {
  const c = parseCidr(text);
  if (c === undefined || c.family !== 'IPv4' || c.prefix !== r.maskSize) return undefined;
  const offset = (c.base - r.cidr.base) / 2 ** (32 - r.maskSize);
  return Number.isInteger(offset) && offset >= 0 && offset < r.size ? offset : undefined;
}
