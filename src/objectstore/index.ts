/**
 * The object storage engine: ring placement over devices, replicated objects and bucket
 * indexes, the auditor and the replicator. Other parts (the S3 gateway, the CLI, the server)
 * import only from here.
 */
export { openObjectStore } from './engine-store.js';
export { BucketMirror, BUCKET_RESOURCE } from './bucket-mirror.js';
export type { DeviceSpec, EngineObjectStore, EngineStatus, OpenObjectStoreOptions } from './engine-store.js';
export type { ExplainResult, CopyState } from './explain.js';
export { storageApiExtensions, ringView, STORAGE_API_PREFIX } from './storage-api.js';
export type { StorageApiExtension, RingView, RingDeviceView } from './storage-api.js';
export type { AuditProgress } from './auditor.js';
export type { ReplicationProgress } from './replicator.js';
export { ObjectStoreError, isObjectStoreError, OBJECT_STORE_ERRORS } from './errors.js';
export type { ObjectStoreErrorCode } from './errors.js';
export type * from './object-store.js';
export type { RingData, RingDevice } from './ring/ring.js';
export { partitionForHash, primaryDevices, handoffDevices } from './ring/ring.js';
export { createRing, rebalance, ringBalance, addDevice, removeDevice } from './ring/ring-builder.js';
export type { DeviceBalance } from './ring/ring-builder.js';
export { crc32, crc32c, crc64nvme } from './checksum.js';
export { validateBucketName, validateKey } from './validation.js';
