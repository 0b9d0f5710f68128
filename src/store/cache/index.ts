/**
 * The watch cache: a layer over any Store that serves gets, lists and watches from memory (see
 * `WatchCache`), and the types its readers use.
 */
export { WatchCache, type WatchCacheOptions, type WatchCacheStats } from './watch-cache.js';
export type { CachedList, CachedStore, Follower, ReadAt } from './cached-store.js';
export type { CacheEntry } from './cache-entry.js';
export type { CacheEvent } from './cache-event.js';
export type { ChangeListener } from './resource-feed.js';
