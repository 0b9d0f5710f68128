import { createHash, hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ObjectRow } from '../device/index.js';
import { ObjectStoreError, isObjectStoreError } from '../errors.js';
import type { Checksum } from '../object-store.js';
import { checkContentMd5, checksumHasher } from './data-check.js';

/**
 * Objects up to this size are stored inline in their bucket index rows by default. A small PUT
 * then costs one row in a group commit on each index replica (one WAL fsync shared by every
 * concurrent writer) instead of a data file, its fsync, a rename and a folder fsync per replica.
 * 64 KiB keeps a group commit of 16 writers near 1 MiB and sits where SQLite measures blob reads
 * from the database as fast as or faster than from separate files (sqlite.org/intern-v-extern-blob).
 */
export const DEFAULT_INLINE_MAX_BYTES = 64 * 1024;

/** What a small body turned out to be. */
export interface InlineBody {
  data: Buffer;
  md5: string;
  checksum?: Checksum;
}

/** The checks a small PUT makes on its body (as the data-file path does). */
export interface InlineBodyOptions {
  key: string;
  /** The declared size; the body must have exactly this many bytes. */
  size: number;
  contentMd5?: string;
  checksum?: Checksum;
}

/** True when a version row keeps its body inline (not in a data file). */
export function isInline(row: ObjectRow): row is ObjectRow & { data: Buffer } {
  return row.data != null;
}

/** True when an inline body still hashes to its row's ETag (inline objects are never multipart). */
export function inlineIntact(row: { etag: string; data: Buffer }): boolean {
  // Every GET of a small object checks it: crypto.hash (Node 20.12+) is the one-shot form.
  const md5 =
    typeof hash === 'function'
      ? hash('md5', row.data, 'hex')
      : createHash('md5').update(row.data).digest('hex');
  return row.etag === `"${md5}"`;
}

/**
 * Reads a small request body into memory and verifies it like a streamed PUT: the declared size,
 * Content-MD5 and any `x-amz-checksum-*` value (a trailer's value is read after the end). The
 * body stream itself verifies signatures and the signed SHA-256 while it is read.
 */
export async function readInlineBody(body: Readable, opts: InlineBodyOptions): Promise<InlineBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const raw of body) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer);
      size += chunk.length;
      if (size > opts.size) break;
      chunks.push(chunk);
    }
  } catch (err) {
    if (!body.destroyed) body.destroy();
    if (isObjectStoreError(err)) throw err;
    throw new ObjectStoreError(
      'IncompleteBody',
      `The body of "${opts.key}" could not be read: ${(err as Error).message}`,
    );
  }
  if (size !== opts.size) {
    if (!body.destroyed) body.destroy();
    throw new ObjectStoreError(
      'IncompleteBody',
      `Expected ${opts.size} bytes for "${opts.key}" but received ${size}`,
    );
  }
  const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  const md5Bytes = createHash('md5').update(data).digest();
  checkContentMd5(opts.key, opts.contentMd5, md5Bytes);
  const out: InlineBody = { data, md5: md5Bytes.toString('hex') };
  if (opts.checksum) {
    const { algorithm } = opts.checksum;
    const h = checksumHasher(algorithm);
    h.update(data);
    const value = Buffer.from(h.digest()).toString('base64');
    if (opts.checksum.value !== value) {
      throw new ObjectStoreError(
        'XAmzContentChecksumMismatch',
        `The ${algorithm} you specified (${opts.checksum.value}) did not match the calculated checksum (${value})`,
      );
    }
    out.checksum = { algorithm, value };
  }
  return out;
}
