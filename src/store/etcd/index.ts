/** The etcd store: the Store interface on etcd v3 over gRPC, and its `etcd://` URL. */
export { EtcdStore, type EtcdStoreOptions } from './etcd-store.js';
export { etcdUrlIsTls, parseEtcdUrl } from './etcd-url.js';
export { EtcdMemberProcess, type EtcdMemberProcessOptions } from './etcd-member-process.js';
export type { EtcdMember, EtcdMemberStatus } from './etcd-cluster-client.js';
export type { EtcdTls } from './etcd-client.js';
import type { EtcdClusterClient } from './etcd-cluster-client.js';
import type { EtcdTls } from './etcd-client.js';

/**
 * A client of etcd's membership and health calls (`stratus cluster status`, `--join`); loaded
 * on first use, so commands that never reach etcd do not load gRPC.
 */
export async function openEtcdCluster(
  addresses: readonly string[],
  options: { tls?: EtcdTls } = {},
): Promise<EtcdClusterClient> {
  const { EtcdClusterClient } = await import('./etcd-cluster-client.js');
  return new EtcdClusterClient(addresses, options);
}
