/**
 * The object store engine: buckets, objects, versions, multipart uploads and listings over the
 * replicas, and the store that opens devices and runs the background work.
 */
export * from './buckets.js';
export * from './context.js';
export * from './engine-store.js';
export * from './engine.js';
export * from './explain.js';
export * from './inline-store.js';
export * from './lifecycle.js';
export * from './lifecycle-worker.js';
export * from './listing.js';
export * from './multipart.js';
export * from './new-version.js';
export * from './stored-meta.js';
export * from './validation.js';
