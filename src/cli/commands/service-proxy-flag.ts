import type { L7Driver } from '../../network/index.js';
import { flagString, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';

/**
 * The agent's service proxy as the flags chose it: its L7 driver (unset when no flag names one:
 * {@link defaultL7Driver} decides) and where TCP/UDP go.
 */
export interface ServiceProxyChoice {
  l7?: L7Driver;
  l4: 'userspace' | 'nftables';
}

/** The help of `--service-proxy` and `--proxy-mode`, shared by `stratus up` and `stratus agent`. */
export const SERVICE_PROXY_USAGE = `  --service-proxy node|haproxy|none
                   the node's service proxy (ClusterIPs, NodePorts, LoadBalancer
                   addresses) with its L7 data plane, or none (default: haproxy
                   when HAProxy 2.6+ is installed, else node)
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
  const l7 = flagString(values, 'service-proxy');
  const l4 = flagString(values, 'proxy-mode') ?? 'userspace';
  if (l7 !== undefined && l7 !== 'node' && l7 !== 'haproxy' && l7 !== 'none')
    throw new UsageError(`--service-proxy must be node, haproxy or none, not "${l7}"`, command);
  if (l4 !== 'userspace' && l4 !== 'nftables')
    throw new UsageError(`--proxy-mode must be userspace or nftables, not "${l4}"`, command);
  if (l7 === 'none') return undefined;
  return l7 === undefined ? { l4 } : { l7, l4 };
}

/** Where the default driver is looked for; tests pass their own. */
export interface DefaultL7Options {
  /** The HAProxy binary, or undefined when missing; default the network part's `findHaproxy`. */
  find?: () => string | undefined;
  /** Its version (throws when it is unusable, older than 2.6); default `haproxyVersion`. */
  version?: (binary: string) => string;
}

/**
 * The L7 driver of `stratus up` and `stratus agent` when no `--service-proxy` names one:
 * `haproxy` when HAProxy 2.6 or newer is installed (as OpenStack Octavia drives HAProxy; it
 * holds 10,000 connections in about 30 MB, where Node's own sockets exceed the 80 MB goal), else
 * `node`, with the one line saying why, for the caller's log.
 */
export async function defaultL7Driver(
  options: DefaultL7Options = {},
): Promise<{ l7: L7Driver; notice?: string }> {
  const network = await import('../../network/index.js');
  const find = options.find ?? network.findHaproxy;
  const version = options.version ?? network.haproxyVersion;
  const binary = find();
  if (binary === undefined)
    return {
      l7: 'node',
      notice:
        'service proxy: HAProxy is not installed, using the node data plane (--service-proxy node|haproxy chooses)',
    };
  try {
    version(binary);
    return { l7: 'haproxy' };
  } catch (err) {
    return {
      l7: 'node',
      notice: `service proxy: ${(err as Error).message}; using the node data plane (--service-proxy node|haproxy chooses)`,
    };
  }
}
