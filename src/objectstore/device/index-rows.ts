/**
 * The rows of an index database, as plain values. Every row carries `ts` (the write that made it,
 * a fixed-width sortable timestamp) and `deleted` (a tombstone), so replicas merge by
 * last-writer-wins per primary key, in any order, any number of times, and converge.
 */

/** A bucket record in the account index. */
export interface BucketRow {
  name: string;
  ts: string;
  deleted: number;
  owner: string;
  created: number;
  versioning: string;
  /** JSON of CorsRule[] or ''. */
  cors: string;
  /**
   * The bucket's access settings as JSON (ACL, policy, public access block, ownership; the
   * gateway's `BucketAccess`), or '' for a private bucket with the defaults.
   */
  access: string;
  /** JSON of the bucket's LifecycleRule[], or '' for none. */
  lifecycle: string;
}

/** One version (or delete marker) of a key in a bucket index. */
export interface ObjectRow {
  key: string;
  vid: string;
  ts: string;
  deleted: number;
  /** The version's own timestamp: its data file's name and its order among versions. */
  vts: string;
  size: number;
  etag: string;
  modified: number;
  dm: number;
  /** JSON of StoredMeta. */
  meta: string;
  /**
   * The body of a small object stored inline in the bucket index (kept in the index's `inline`
   * table beside the row, written in the same transaction); null or absent for a data file.
   */
  data?: Buffer | null;
}

/** A multipart upload in progress. */
export interface UploadRow {
  uploadId: string;
  ts: string;
  deleted: number;
  key: string;
  initiated: number;
  owner: string;
  /** JSON of the PutOptions the upload was created with. */
  meta: string;
}

/** One uploaded part. */
export interface PartRow {
  uploadId: string;
  partNumber: number;
  ts: string;
  deleted: number;
  size: number;
  etag: string;
  modified: number;
  /** The part's data file timestamp. */
  pts: string;
  /** JSON of the part's checksum or ''. */
  checksum: string;
}

/** The table names and their rows. */
export interface IndexTables {
  buckets: BucketRow;
  objects: ObjectRow;
  uploads: UploadRow;
  parts: PartRow;
}

/** A table name. */
export type IndexTable = keyof IndexTables;

/** Columns and primary key of every table, in column order. */
export const INDEX_SCHEMA: {
  [T in IndexTable]: {
    columns: Array<keyof IndexTables[T] & string>;
    key: Array<keyof IndexTables[T] & string>;
  };
} = {
  buckets: {
    columns: ['name', 'ts', 'deleted', 'owner', 'created', 'versioning', 'cors', 'access', 'lifecycle'],
    key: ['name'],
  },
  objects: {
    columns: ['key', 'vid', 'ts', 'deleted', 'vts', 'size', 'etag', 'modified', 'dm', 'meta'],
    key: ['key', 'vid'],
  },
  uploads: { columns: ['uploadId', 'ts', 'deleted', 'key', 'initiated', 'owner', 'meta'], key: ['uploadId'] },
  parts: {
    columns: ['uploadId', 'partNumber', 'ts', 'deleted', 'size', 'etag', 'modified', 'pts', 'checksum'],
    key: ['uploadId', 'partNumber'],
  },
};

/** The primary key of a row as one string, for merging in memory. */
export function rowKey<T extends IndexTable>(table: T, row: IndexTables[T]): string {
  return INDEX_SCHEMA[table].key.map((k) => String(row[k])).join('\u0000');
}

/**
 * Whether `a` replaces `b` (rows of one primary key): the later `ts` wins, except that version
 * rows order first by `vts` (a new version's and a deletion's own time; a metadata update such
 * as tagging keeps the `vts` of the version it read), then a deletion over a live row. So a
 * tagging that read a version never replaces a newer version of the id, nor revives a deletion,
 * whichever replicas it reaches first. A total order: replicas converge whatever order rows
 * arrive in. `BucketIndex.apply` is the same rule in SQL.
 */
export function replaces<T extends IndexTable>(table: T, a: IndexTables[T], b: IndexTables[T]): boolean {
  if (table === 'objects') {
    const x = a as ObjectRow;
    const y = b as ObjectRow;
    if (x.vts !== y.vts) return x.vts > y.vts;
    if (x.deleted !== y.deleted) return x.deleted > y.deleted;
  }
  return a.ts > b.ts;
}

/** Merges row sets by `replaces` (last writer wins); the result holds one row per primary key. */
export function mergeRows<T extends IndexTable>(
  table: T,
  sets: Array<Array<IndexTables[T]>>,
): Array<IndexTables[T]> {
  // One replica's rows are already one per key.
  if (sets.length === 1) return sets[0]!;
  const out = new Map<string, IndexTables[T]>();
  for (const rows of sets) {
    for (const row of rows) {
      const k = rowKey(table, row);
      const have = out.get(k);
      if (!have || replaces(table, row, have)) out.set(k, row);
    }
  }
  return [...out.values()];
}
