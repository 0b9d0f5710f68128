/**
 * One storage device (a folder): data files, bucket indexes, WAL syncs and the timestamps that
 * name files and order versions.
 */
export * from './bucket-index.js';
export * from './data-file.js';
export * from './device.js';
export * from './index-rows.js';
export * from './local-data-writer.js';
export * from './local-device.js';
export * from './local-files.js';
export * from './timestamp.js';
export * from '../../common/wal-sync.js';
