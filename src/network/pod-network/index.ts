/**
 * Pod networking: a bridge per node, a network namespace and address per pod, the pod's hosts
 * and resolv.conf files (see `pod-network.ts`).
 */
export { PodNetwork, type PodNetworkOptions, type PodSandbox, type SandboxPod } from './pod-network.js';
export {
  DEFAULT_POD_NETWORK_NAMES,
  hostVethName,
  netnsName,
  type PodNetworkNames,
} from './pod-network-names.js';
export { parsePodRange, podAddressAt, podOffsetOf, type PodRange } from './pod-range.js';
export { hostsFile, resolvConf, searchDomains } from './sandbox-files.js';
export { ip, netnsList } from './ip-command.js';
export { removePodNetworkLeftovers } from './pod-network-cleanup.js';
