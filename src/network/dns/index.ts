/**
 * Cluster DNS (CoreDNS's kubernetes plugin): Service, endpoint and pod names of the cluster
 * domain answered from informers, other names forwarded to the host's resolvers.
 */
export { ClusterDns, type ClusterDnsOptions } from './cluster-dns.js';
export { DnsServer, type DnsServerOptions } from './dns-server.js';
export { lookupCluster, type DnsCatalog } from './cluster-records.js';
export { resolvConfNameservers } from './resolv-conf.js';
