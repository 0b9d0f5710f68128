import { flagString, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';

/** The agent's service proxy as the flags chose it: its L7 driver and where TCP/UDP go. */
export interface ServiceProxyChoice {
  l7: 'node' | 'haproxy';
  l4: 'userspace' | 'nftables';
}

/** The help of `--service-proxy` and `--proxy-mode`, shared by `stratus up` and `stratus agent`. */
export const SERVICE_PROXY_USAGE = `  --service-proxy node|haproxy|none
                   the node's service proxy (ClusterIPs, NodePorts, LoadBalancer
                   addresses) with its L7 data plane, or none (default: node)
  --proxy-mode userspace|nftables
                   where TCP and UDP Services go: the userspace proxy (health
                   checks, retries), or nftables DNAT rules in the kernel (root
                   and nft needed; default: userspace)`;

/** The flags' options, for a command's `options`. */
export const SERVICE_PROXY_OPTIONS = {
  'service-proxy': { type: 'string' },
  'proxy-mode': { type: 'string' },
} as const;

/** Parses `--service-proxy node|haproxy|none` and `--proxy-mode`; undefined for `none`. */
export function serviceProxyFlags(values: FlagValues, command: string): ServiceProxyChoice | undefined {
  const l7 = flagString(values, 'service-proxy') ?? 'node';
  const l4 = flagString(values, 'proxy-mode') ?? 'userspace';
  if (l7 !== 'node' && l7 !== 'haproxy' && l7 !== 'none')
    throw new UsageError(`--service-proxy must be node, haproxy or none, not "${l7}"`, command);
  if (l4 !== 'userspace' && l4 !== 'nftables')
    throw new UsageError(`--proxy-mode must be userspace or nftables, not "${l4}"`, command);
  return l7 === 'none' ? undefined : { l7, l4 };
}
