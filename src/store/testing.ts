/** Test support of the store part for other parts' tests: a test-started etcd cluster. */
export { EtcdCluster, ETCD_BINARY, etcdSkip } from './testing/etcd-cluster.js';
