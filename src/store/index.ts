/**
 * The resource store's public surface: the Store interface and its types, the SQLite and etcd
 * implementations, the contract suite every implementation runs, and the store's errors.
 */
export type {
  ListOptions,
  ListResult,
  Store,
  StoredChange,
  StoredList,
  WatchEvent,
  WatchEventType,
  WatchOptions,
  Watcher,
} from './store.js';
export { SqliteStore, type SqliteStoreOptions, type SqliteStoreStats } from './sqlite-store.js';
export type { SyncMode } from './sqlite-schema.js';
export {
  EtcdStore,
  etcdUrlIsTls,
  openEtcdCluster,
  parseEtcdUrl,
  type EtcdMember,
  type EtcdMemberStatus,
  type EtcdStoreOptions,
  type EtcdTls,
  EtcdMemberProcess,
  type EtcdMemberProcessOptions,
} from './etcd/index.js';
export { StoreError } from './errors.js';
export { storedJson } from './stored-json.js';
export { compileWatchFilter, type Change, type WatchFilterOptions } from './watch-filter.js';
export { decodeContinue, encodeContinue, type ContinuePosition } from './continue-token.js';
export {
  WatchCache,
  type CacheEntry,
  type CacheEvent,
  type CachedList,
  type CachedStore,
  type ChangeListener,
  type Follower,
  type ReadAt,
  type WatchCacheOptions,
  type WatchCacheStats,
} from './cache/index.js';
export {
  EncryptingStore,
  loadEncryptionConfig,
  parseEncryptionConfig,
  defaultEncryptionConfigText,
  ENCRYPTION_CONFIG_FILE,
  IDENTITY_CONFIG,
  SEALED_FIELD,
  type EncryptionConfig,
  type EncryptingStoreOptions,
} from './encryption/index.js';
