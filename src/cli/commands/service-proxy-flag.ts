import { flagString, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';

/** `--service-proxy`'s help line, shared by `stratus up` and `stratus agent`. */
export const SERVICE_PROXY_USAGE = `  --service-proxy node|haproxy|none
                   the node's service proxy (ClusterIPs, NodePorts, LoadBalancer
                   addresses) with its L7 data plane, or none (default: node)`;

/** Parses `--service-proxy node|haproxy|none`; undefined when absent. */
export function serviceProxyFlag(
  values: FlagValues,
  command: string,
): 'node' | 'haproxy' | 'none' | undefined {
  const text = flagString(values, 'service-proxy');
  if (text === undefined || text === 'node' || text === 'haproxy' || text === 'none') return text;
  throw new UsageError(`--service-proxy must be node, haproxy or none, not "${text}"`, command);
}
