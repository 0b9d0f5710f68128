/**
 * The object storage engine: ring placement over devices, replicated objects and bucket
 * indexes, the auditor and the replicator. Other parts (the S3 gateway, the CLI, the server)
 * import only from here.
 */
export { openObjectStore } from './engine/index.js';
export { BucketMirror, BUCKET_RESOURCE } from './cluster/index.js';
export type { DeviceSpec, EngineObjectStore, EngineStatus, OpenObjectStoreOptions } from './engine/index.js';
export type { ExplainResult, CopyState } from './engine/index.js';
export { storageApiExtensions, ringView, STORAGE_API_PREFIX } from './cluster/index.js';
export type { StorageApiExtension, RingView, RingDeviceView } from './cluster/index.js';
export type { AuditProgress } from './replication/index.js';
export type { ReplicationProgress } from './replication/index.js';
export { ObjectStoreError, isObjectStoreError, OBJECT_STORE_ERRORS } from './errors.js';
export type { ObjectStoreErrorCode } from './errors.js';
export type * from './object-store.js';
export type { RingData, RingDevice } from './ring/index.js';
export { partitionForHash, primaryDevices, handoffDevices } from './ring/index.js';
export { createRing, rebalance, ringBalance, addDevice, removeDevice } from './ring/index.js';
export type { DeviceBalance } from './ring/index.js';
export { crc32, crc32c, crc64nvme } from './body/index.js';
export { validateBucketName, validateKey, expiryOf, DAY_MS } from './engine/index.js';
export type { LifecycleProgress } from './engine/index.js';
