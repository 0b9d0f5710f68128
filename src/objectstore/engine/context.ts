import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Clock } from '../../common/clock.js';
import { bucketTablesVersion } from '../device/index.js';
import { mergeRows, type BucketRow, type ObjectRow } from '../device/index.js';
import { ObjectStoreError } from '../errors.js';
import { IndexReplicas } from '../replication/index.js';
import { ObjectReplicas } from '../replication/index.js';
import type { GetOptions } from '../object-store.js';
import { md5Hex, type Location, type Placement } from '../replication/index.js';
import { latestOf, parseMeta, type ManifestPart } from './stored-meta.js';
import { Timestamper, versionIdFor } from '../device/index.js';

/**
 * The shared machinery of the engine's operations (buckets, objects, multipart): placement,
 * replicated data and indexes, timestamps, and the lookups every S3 operation starts with.
 */
export class EngineContext {
  readonly data: ObjectReplicas;
  readonly index: IndexReplicas;
  readonly stamps: Timestamper;
  private indexRing: unknown;
  private readonly indexLocations = new Map<string, { loc: Location; name: string }>();
  /** Merged bucket rows by name, valid while the ring and bucketTablesVersion() are unchanged. */
  private readonly bucketRows = new Map<
    string,
    { version: number; ring: unknown; row: Readonly<BucketRow> | undefined }
  >();

  constructor(
    readonly placement: Placement,
    readonly clock: Clock,
  ) {
    this.data = new ObjectReplicas(placement);
    this.index = new IndexReplicas(placement);
    this.stamps = new Timestamper(clock);
  }

  /** A fresh version id for a write at `ts`. */
  newVersionId(ts: string): string {
    return versionIdFor(ts, randomBytes(4).toString('hex'));
  }

  /** The account index location and database name. */
  accountIndex(): { loc: Location; name: string } {
    return this.indexOf('', () => ({ loc: this.placement.account(), name: md5Hex('account') }));
  }

  /** A bucket's index location and database name. */
  bucketIndex(bucket: string): { loc: Location; name: string } {
    return this.indexOf(bucket, () => ({ loc: this.placement.bucketIndex(bucket), name: md5Hex(bucket) }));
  }

  /** Index locations hash two MD5s per call: remembered per ring (a rebalance makes a new ring). */
  private indexOf(
    key: string,
    locate: () => { loc: Location; name: string },
  ): { loc: Location; name: string } {
    if (this.indexRing !== this.placement.ring || this.indexLocations.size > 10_000) {
      this.indexRing = this.placement.ring;
      this.indexLocations.clear();
    }
    let found = this.indexLocations.get(key);
    if (found === undefined) {
      found = locate();
      this.indexLocations.set(key, found);
    }
    return found;
  }

  /**
   * The merged bucket row (tombstones included), if any replica knows it. Every S3 request looks
   * its bucket up (twice: ownership, then the operation), so rows are cached until any bucket
   * table of this process changes.
   */
  async bucketRow(name: string): Promise<Readonly<BucketRow> | undefined> {
    const version = bucketTablesVersion();
    const ring = this.placement.ring;
    const hit = this.bucketRows.get(name);
    if (hit !== undefined && hit.version === version && hit.ring === ring) return hit.row;
    const { loc, name: db } = this.accountIndex();
    const failures = this.index.queryFailures;
    const sets = await this.index.query(loc, db, (idx) => {
      const r = idx.bucket(name);
      return r ? [r] : [];
    });
    const found = mergeRows('buckets', sets)[0];
    const row = found === undefined ? undefined : Object.freeze(found);
    // An answer that a failing replica left out is used once, not kept.
    if (this.index.queryFailures !== failures) return row;
    if (this.bucketRows.size >= 10_000) this.bucketRows.clear();
    this.bucketRows.set(name, { version, ring, row });
    return row;
  }

  /** The live bucket row, or NoSuchBucket. */
  async requireBucket(name: string): Promise<Readonly<BucketRow>> {
    const row = await this.bucketRow(name);
    if (!row || row.deleted)
      throw new ObjectStoreError('NoSuchBucket', `The bucket "${name}" does not exist`, { bucket: name });
    return row;
  }

  /** Every version row of a key, merged across the bucket index replicas (tombstones included). */
  async versionRows(bucket: string, key: string): Promise<ObjectRow[]> {
    const { loc, name } = this.bucketIndex(bucket);
    return mergeRows('objects', await this.index.query(loc, name, (idx) => idx.versionsOf(key)));
  }

  /**
   * The row a GET/HEAD addresses: a given version (NoSuchVersion; MethodNotAllowed for a delete
   * marker) or the current one (NoSuchKey, also when the current version is a delete marker).
   */
  async resolve(bucket: string, key: string, versionId?: string): Promise<ObjectRow> {
    const rows = await this.versionRows(bucket, key);
    if (versionId !== undefined) {
      const row = rows.find((r) => r.vid === versionId && !r.deleted);
      if (!row)
        throw new ObjectStoreError('NoSuchVersion', `Version "${versionId}" of "${key}" does not exist`, {
          bucket,
          key,
          versionId,
        });
      if (row.dm) {
        throw new ObjectStoreError(
          'MethodNotAllowed',
          `Version "${versionId}" of "${key}" is a delete marker`,
          {
            bucket,
            key,
            versionId,
            isDeleteMarker: true,
          },
        );
      }
      return row;
    }
    const row = latestOf(rows);
    if (!row)
      throw new ObjectStoreError('NoSuchKey', `The key "${key}" does not exist in bucket "${bucket}"`, {
        bucket,
        key,
      });
    if (row.dm) {
      throw new ObjectStoreError(
        'NoSuchKey',
        `The key "${key}" does not exist in bucket "${bucket}" (delete marker)`,
        {
          bucket,
          key,
          versionId: row.vid,
          isDeleteMarker: true,
        },
      );
    }
    return row;
  }

  /** The body of a version row (a plain object or a multipart manifest), optionally a byte range. */
  async body(bucket: string, row: ObjectRow, range: GetOptions['range']): Promise<Readable> {
    const loc = this.placement.object(bucket, row.key);
    const r = resolveRange(row.size, range);
    const meta = parseMeta(row.meta);
    if (!meta.manifest) return this.data.read(loc, row.vid, row.vts, r);
    const manifest = meta.manifest;
    const data = this.data;
    const start = r?.start ?? 0;
    const end = r?.end ?? row.size - 1;
    async function* parts(): AsyncGenerator<Buffer> {
      let offset = 0;
      for (const p of manifest) {
        const pStart = offset;
        const pEnd = offset + p.size - 1;
        offset += p.size;
        if (p.size === 0 || pEnd < start || pStart > end) continue;
        const sub = { start: Math.max(start, pStart) - pStart, end: Math.min(end, pEnd) - pStart };
        const whole = sub.start === 0 && sub.end === p.size - 1;
        const stream = await data.read(loc, p.name, p.pts, whole ? undefined : sub);
        for await (const chunk of stream) yield chunk as Buffer;
      }
    }
    return Readable.from(parts(), { objectMode: false });
  }

  /** Removes the data of a version (its file, or its parts when it is a manifest); best effort. */
  async dropData(bucket: string, row: ObjectRow): Promise<void> {
    const loc = this.placement.object(bucket, row.key);
    const meta = parseMeta(row.meta);
    const names: Array<Pick<ManifestPart, 'name'>> = meta.manifest ?? (row.dm ? [] : [{ name: row.vid }]);
    const ts = this.stamps.next();
    for (const { name } of names) {
      await this.data
        .remove(loc, { bucket, key: row.key, name, ts, size: 0, md5: '', meta: '' })
        .catch(() => undefined);
    }
  }
}

/** An inclusive byte range resolved against the size; InvalidRange when unsatisfiable. */
export function resolveRange(
  size: number,
  range: GetOptions['range'],
): { start: number; end: number } | undefined {
  if (!range) return undefined;
  if ('suffix' in range) {
    if (range.suffix <= 0 || size === 0) throw invalidRange(size);
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  if (range.start >= size || (range.end !== undefined && range.end < range.start)) throw invalidRange(size);
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

function invalidRange(size: number): ObjectStoreError {
  return new ObjectStoreError(
    'InvalidRange',
    `The requested range is not satisfiable (object size ${size})`,
    { size },
  );
}
