/** The etcd store: the Store interface on etcd v3 over gRPC, and its `etcd://` URL. */
export { EtcdStore, type EtcdStoreOptions } from './etcd-store.js';
export { parseEtcdUrl } from './etcd-url.js';
