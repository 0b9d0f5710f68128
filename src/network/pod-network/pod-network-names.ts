/**
 * Names of the kernel objects a pod network makes, derived from the pod uid alone, so a
 * restarted agent (or `stratus up --cleanup`) finds them without any record. Pure.
 */

/** Names of one agent's pod network objects; several agents on one host use distinct ones. */
export interface PodNetworkNames {
  /** The bridge, at most 15 characters (IFNAMSIZ). Default `stratus0`. */
  bridge: string;
  /** Prefix of the network namespaces (`/run/netns/<prefix><uid>`). Default `stratus-`. */
  netnsPrefix: string;
  /** The nftables table (family ip) for masquerade; `stratus-` first so cleanup finds it. */
  table: string;
}

/** The names `stratus up` uses for its one agent. */
export const DEFAULT_POD_NETWORK_NAMES: PodNetworkNames = {
  bridge: 'stratus0',
  netnsPrefix: 'stratus-',
  table: 'stratus-pods',
};

/** The network namespace's name of a pod. */
export function netnsName(names: PodNetworkNames, podUid: string): string {
  return `${names.netnsPrefix}${podUid}`;
}

/**
 * The host end of a pod's veth pair: `sv` and 13 hex digits of the uid (15 characters, the
 * kernel's limit); 52 bits of a random uid make a clash on one host negligible.
 */
export function hostVethName(podUid: string): string {
  return `sv${podUid
    .replace(/[^0-9a-f]/gi, '')
    .toLowerCase()
    .slice(0, 13)
    .padEnd(13, '0')}`;
}

/** Checks a name the kernel will take as an interface name. */
export function validInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/.test(name);
}
