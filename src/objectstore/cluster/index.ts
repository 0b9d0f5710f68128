/**
 * What the object store shows the cluster: buckets mirrored into the API and the read-only
 * storage views.
 */
export * from './bucket-mirror.js';
export * from './storage-api.js';
