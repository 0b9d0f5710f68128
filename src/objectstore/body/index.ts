/**
 * Object bodies and their checks: in-memory and file-backed bodies, buffer pools, the hashing
 * threads, MD5/CRC checks and bodies kept inline in the bucket index.
 */
export * from './buffer-body.js';
export * from './buffer-pool.js';
export * from './checksum.js';
export * from './data-check.js';
export * from './data-hash-pool.js';
export * from './file-body.js';
export * from './inline-object.js';
