import type { BucketIndex, ListingRow, ObjectRow } from '../device/index.js';
import type {
  ListedObject,
  ListObjectsOptions,
  ListObjectsResult,
  ListVersionsOptions,
  ListVersionsResult,
} from '../object-store.js';
import { ObjectStoreError } from '../errors.js';
import { objectInfo } from './stored-meta.js';

const BATCH = 1000;
/**
 * Rows read right after skipping a rolled-up prefix: the next key often starts another prefix,
 * and every row read and not used costs as much as one listed. Grows while batches are used up.
 */
const SEEK_BATCH = 16;
/** Sorts after every key that starts with a prefix (UTF-8 binary order, as SQLite compares). */
const HIGH = '\u{10FFFF}\u{10FFFF}';

/**
 * ListObjects(V2) on one (repaired) bucket index replica: current versions only, delete
 * markers hidden, keys rolled up into common prefixes at the delimiter, in UTF-8 binary order.
 * Reads in batches of at most one row more than the page still holds (that row says whether the
 * page is truncated) and skips over a rolled-up prefix with one seek, so a folder of a million
 * keys costs one query.
 */
export function listObjects(idx: BucketIndex, opts: ListObjectsOptions): ListObjectsResult {
  const max = Math.min(Math.max(opts.maxKeys ?? 1000, 0), 1000);
  const prefix = opts.prefix ?? '';
  const out: ListObjectsResult = { objects: [], commonPrefixes: [], isTruncated: false };
  if (max === 0) return out;
  let after = opts.after;
  // Continuing after a common prefix skips everything under it.
  if (after !== undefined && commonPrefix(after, prefix, opts.delimiter) === after) after += HIGH;
  let count = 0;
  let batch = BATCH;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const limit = Math.min(batch, max - count + 1);
    const rows = idx.listing({ ...(after !== undefined ? { after } : {}), prefix, limit });
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
      out.objects.push(listedObject(row));
      out.nextAfter = row.key;
      after = row.key;
      count++;
    }
    if (seeked) {
      batch = SEEK_BATCH;
      continue;
    }
    if (rows.length < limit) return out;
    batch = Math.min(batch * 8, BATCH);
  }
  return out;
}

function listedObject(row: ListingRow): ListedObject {
  const o: ListedObject = {
    key: row.key,
    size: row.size,
    etag: row.etag,
    lastModified: new Date(row.modified),
  };
  if (row.checksumAlgorithm !== null) o.checksumAlgorithm = row.checksumAlgorithm;
  return o;
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
  // S3 refuses a version-id marker that names no version of the key marker (a page boundary
  // that vanished, or a made-up id) rather than guessing where to resume.
  if (markerKey !== undefined && markerVid !== undefined && !idx.hasVersion(markerKey, markerVid)) {
    throw new ObjectStoreError('InvalidArgument', 'Invalid version id specified', {
      ArgumentName: 'version-id-marker',
      ArgumentValue: markerVid,
    });
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
