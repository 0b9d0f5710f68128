import { statfs, utimes } from 'node:fs/promises';
import type { ImageStore } from './image-store.js';

/** Options of `collectImages`, with kubelet's defaults. */
export interface ImageGcOptions {
  /** Collect when the file system is fuller than this (kubelet's imageGCHighThresholdPercent); default 85. */
  highPercent?: number;
  /** Collect down to this (imageGCLowThresholdPercent); default 80. */
  lowPercent?: number;
  /** Manifest digests a container uses: never collected. */
  inUse: ReadonlySet<string>;
  /** The file system's usage; default statfs of the store's folder. */
  usage?: () => Promise<{ usedBytes: number; totalBytes: number }>;
}

/** What one collection did. */
export interface ImageGcResult {
  /** Manifest digests of the images removed (every name of each). */
  removedImages: string[];
  /** Blobs removed with them. */
  removedBlobs: string[];
  usedPercentBefore: number;
  usedPercentAfter: number;
}

/** statfs of a folder as used and total bytes. */
export async function diskUsage(path: string): Promise<{ usedBytes: number; totalBytes: number }> {
  const s = await statfs(path);
  return { usedBytes: (s.blocks - s.bfree) * s.bsize, totalBytes: s.blocks * s.bsize };
}

/** Records that a container started from an image now (its manifest blob's mtime), for LRU order. */
export async function markUsed(store: ImageStore, digest: string): Promise<void> {
  const now = new Date();
  await utimes(store.blobs.path(digest), now, now).catch(() => undefined);
}

/**
 * Image garbage collection as kubelet's image manager does it: when the store's file system is
 * above `highPercent`, remove images no container uses, least recently used first (the manifest
 * blob's mtime, touched by `markUsed`), until usage is under `lowPercent`; each removal takes
 * the image's blobs and unpacked layers that no other image shares. An image in `inUse` is
 * never removed, whatever the usage.
 */
export async function collectImages(store: ImageStore, options: ImageGcOptions): Promise<ImageGcResult> {
  const high = options.highPercent ?? 85;
  const low = options.lowPercent ?? 80;
  const usage = options.usage ?? (() => diskUsage(store.root));
  const percent = async (): Promise<number> => {
    const u = await usage();
    return u.totalBytes === 0 ? 0 : (u.usedBytes / u.totalBytes) * 100;
  };
  const before = await percent();
  const result: ImageGcResult = {
    removedImages: [],
    removedBlobs: [],
    usedPercentBefore: before,
    usedPercentAfter: before,
  };
  if (before <= high) return result;
  const images = new Map<string, number>();
  for (const row of await store.list()) {
    if (options.inUse.has(row.digest) || store.isInUse(row.digest)) continue;
    const mtime = await store.blobs.mtime(row.digest).catch(() => 0);
    images.set(row.digest, mtime);
  }
  const order = [...images.entries()].sort((a, b) => a[1] - b[1]).map(([d]) => d);
  let now = before;
  for (const digest of order) {
    if (now < low) break;
    result.removedBlobs.push(...(await store.removeImage(digest)));
    result.removedImages.push(digest);
    now = await percent();
  }
  result.usedPercentAfter = now;
  return result;
}
