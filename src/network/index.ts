/**
 * The data path of Services (kube-proxy, HAProxy, nginx): balancing algorithms, health, the
 * `node` data plane (L7 and userspace L4 in worker threads) and the `haproxy` one (HAProxy
 * driven through its Runtime API), behind one `DataPlane` interface driven by a plain
 * configuration. The service proxy (informers → ProxyConfig) builds on `createProxy()`.
 */
export {
  ALGORITHMS,
  DYNAMIC_WEIGHT_ALGORITHMS,
  normalizeConfig,
  isIpAddress,
  type AlgorithmName,
  type Endpoint,
  type EndpointConfig,
  type HashOn,
  type HealthCheckConfig,
  type Listener,
  type ListenerConfig,
  type ListenerProtocol,
  type PassiveHealthConfig,
  type PersistenceConfig,
  type ProxyConfig,
} from './proxy-config.js';
export type { BoundAddress, DataPlane } from './data-plane.js';
export { createProxy, type L4Mode, type L7Driver, type ProxyOptions } from './create-proxy.js';
export { findNft, runNft, orphanedStratusTables } from './nftables/nftables-data-plane.js';
export { ownerComment, tableName } from './nftables/nft-ruleset.js';
export { NodeDataPlane, type NodeDataPlaneOptions } from './node/node-data-plane.js';
export {
  HaproxyDataPlane,
  type HaproxyConfig,
  type HaproxyDataPlaneOptions,
} from './haproxy/haproxy-data-plane.js';
export {
  routeKey,
  type RouterCertificate,
  type RouterConfig,
  type RouterRule,
} from './haproxy/haproxy-router.js';
export { findHaproxy, haproxyVersion } from './haproxy/haproxy-process.js';
export { createBalancer, type BalancerOptions } from './balancing/create-balancer.js';
export {
  seededRandom,
  type Balancer,
  type Candidate,
  type PickRequest,
  type RandomSource,
} from './balancing/balancer.js';
export { EndpointPool, routableEndpoints, persistenceCookie } from './endpoint-pool.js';
export {
  LATENCY_BUCKETS_MS,
  latencyQuantileMs,
  type EndpointStats,
  type ListenerStats,
  type Traffic,
} from './traffic-stats.js';
export type { AccessLogEntry } from './access-log.js';
export { NetworkError } from './errors.js';
export { ServiceProxy, type ServiceProxyOptions } from './service-proxy/service-proxy.js';
export {
  ALGORITHM_ANNOTATION,
  PROXY_PROTOCOL_ANNOTATION,
  WEIGHT_ANNOTATION,
  serviceListeners,
  type ProxyNode,
} from './service-proxy/service-listeners.js';
export {
  DEFAULT_POD_NETWORK_NAMES,
  PodNetwork,
  parsePodRange,
  removePodNetworkLeftovers,
  type PodNetworkNames,
  type PodNetworkOptions,
  type PodSandbox,
  type SandboxPod,
} from './pod-network/index.js';
export { ClusterDns, DnsServer, type ClusterDnsOptions, type DnsServerOptions } from './dns/index.js';
