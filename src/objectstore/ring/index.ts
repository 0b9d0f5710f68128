/**
 * The ring (pure): partitions of md5(bucket/key) mapped to devices, and building and rebalancing
 * it.
 */
export * from './ring-builder.js';
export * from './ring.js';
