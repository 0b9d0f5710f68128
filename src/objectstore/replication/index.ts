/**
 * Replicas over devices: placement on the ring, quorum writes and verified reads of data and
 * index rows, group commits, and the background auditor and replicator.
 */
export * from './auditor.js';
export * from './index-replicas.js';
export * from './index-write-batch.js';
export * from './object-replicas.js';
export * from './placement.js';
export * from './replicator.js';
