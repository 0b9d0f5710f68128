import type { BucketIndex } from '../device/index.js';
import type { ObjectRow } from '../device/index.js';
import type {
  ListObjectsOptions,
  ListObjectsResult,
  ListVersionsOptions,
  ListVersionsResult,
} from '../object-store.js';
import { objectInfo } from './stored-meta.js';

const BATCH = 1000;
/** Sorts after every key that starts with a prefix (UTF-8 binary order, as SQLite compares). */
const HIGH = '\u{10FFFF}\u{10FFFF}';

/**
 * ListObjects(V2) on one (repaired) bucket index replica: current versions only, delete
 * markers hidden, keys rolled up into common prefixes at the delimiter, in UTF-8 binary order.
 * Reads in batches and skips over a rolled-up prefix with one seek, so a folder of a million
 * keys costs one query.
 */
export function listObjects(bucket: string, idx: BucketIndex, opts: ListObjectsOptions): ListObjectsResult {
  const max = Math.min(Math.max(opts.maxKeys ?? 1000, 0), 1000);
  const prefix = opts.prefix ?? '';
  const out: ListObjectsResult = { objects: [], commonPrefixes: [], isTruncated: false };
  if (max === 0) return out;
  let after = opts.after;
  // Continuing after a common prefix skips everything under it.
  if (after !== undefined && commonPrefix(after, prefix, opts.delimiter) === after) after += HIGH;
  let count = 0;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const rows = idx.latest({ ...(after !== undefined ? { after } : {}), prefix, limit: BATCH });
    if (rows.length === 0) return out;
    let seeked = false;
    for (const row of rows) {
      const cp = commonPrefix(row.key, prefix, opts.delimiter);
      if (cp === undefined && row.dm) {
        after = row.key;
        continue;
      }
      if (count === max) {
        out.isTruncated = true;
        return out;
      }
      if (cp !== undefined) {
        out.commonPrefixes.push(cp);
        out.nextAfter = cp;
        after = cp + HIGH;
        count++;
        seeked = true;
        break;
      }
      out.objects.push(objectInfo(bucket, row));
      out.nextAfter = row.key;
      after = row.key;
      count++;
    }
    if (!seeked && rows.length < BATCH) return out;
  }
  return out;
}

/** ListObjectVersions on one (repaired) replica: every version and delete marker, newest first per key. */
export function listVersions(
  bucket: string,
  idx: BucketIndex,
  opts: ListVersionsOptions,
): ListVersionsResult {
  const max = Math.min(Math.max(opts.maxKeys ?? 1000, 0), 1000);
  const prefix = opts.prefix ?? '';
  const out: ListVersionsResult = { versions: [], commonPrefixes: [], isTruncated: false };
  if (max === 0) return out;
  let count = 0;
  // Resume inside the marker key after its version, or after the whole key when no version is given.
  let markerKey = opts.keyMarker;
  let markerVid = opts.keyMarker !== undefined ? opts.versionIdMarker || undefined : undefined;
  if (
    markerKey !== undefined &&
    markerVid === undefined &&
    commonPrefix(markerKey, prefix, opts.delimiter) === markerKey
  ) {
    markerKey += HIGH;
  }
  let passed = false;
  let latestKey = markerVid !== undefined ? (markerKey ?? '') : '';
  for (let guard = 0; guard < 1_000_000; guard++) {
    const rows: ObjectRow[] = idx.versions({
      ...(markerKey !== undefined ? { from: markerKey } : {}),
      prefix,
      limit: BATCH,
    });
    let seek: string | undefined;
    let emitted = 0;
    for (const row of rows) {
      if (markerKey !== undefined && row.key === markerKey) {
        if (markerVid === undefined) continue;
        if (!passed) {
          if (row.vid === markerVid) passed = true;
          continue;
        }
      }
      const isLatest = row.key !== latestKey;
      latestKey = row.key;
      if (count === max) {
        out.isTruncated = true;
        return out;
      }
      const cp = commonPrefix(row.key, prefix, opts.delimiter);
      if (cp !== undefined) {
        out.commonPrefixes.push(cp);
        out.nextKeyMarker = cp;
        delete out.nextVersionIdMarker;
        seek = cp + HIGH;
        count++;
        break;
      }
      out.versions.push({ ...objectInfo(bucket, row), isLatest });
      out.nextKeyMarker = row.key;
      out.nextVersionIdMarker = row.vid;
      count++;
      emitted++;
    }
    if (seek !== undefined) {
      markerKey = seek;
      markerVid = undefined;
      continue;
    }
    if (rows.length < BATCH || emitted === 0) return out;
    markerKey = out.nextKeyMarker;
    markerVid = out.nextVersionIdMarker;
    passed = false;
  }
  return out;
}

function commonPrefix(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (!delimiter) return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}
