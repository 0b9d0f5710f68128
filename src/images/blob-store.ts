import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { archiveInvalid, digestMismatch } from './errors.js';

const HEX = /^[a-f0-9]{64}$/;

/** The hex part of a `sha256:` digest, or a TypeError for anything else (never a path). */
export function digestHex(digest: string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice(7) : '';
  if (!HEX.test(hex)) throw archiveInvalid(`"${digest}" is not a sha256 digest`);
  return hex;
}

/** fsyncs a directory so that a rename into it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The content-addressed half of an OCI image layout: `blobs/sha256/<hex>`. A blob becomes
 * visible only complete and verified: it is written to `tmp/`, hashed while written, fsynced,
 * compared with the digest it is meant to have and then renamed into place (and the directory
 * fsynced). A crash leaves at worst a temp file, which `open` clears; never a wrong blob.
 */
export class BlobStore {
  readonly blobsDir: string;
  readonly tmpDir: string;

  private constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.tmpDir = join(root, 'tmp');
  }

  /** Opens (creating) the blob folders under `root` and clears leftovers of interrupted writes. */
  static async open(root: string): Promise<BlobStore> {
    const store = new BlobStore(root);
    await mkdir(store.blobsDir, { recursive: true, mode: 0o700 });
    await mkdir(store.tmpDir, { recursive: true, mode: 0o700 });
    await removeStaleTemps(store.tmpDir);
    return store;
  }

  /** Where a blob lives (whether or not it is there). */
  path(digest: string): string {
    return join(this.blobsDir, digestHex(digest));
  }

  /** True when the blob is stored. */
  async has(digest: string): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  /** The size of a stored blob. */
  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  /** When a blob was last written or marked used (ms since the epoch). */
  async mtime(digest: string): Promise<number> {
    return (await stat(this.path(digest))).mtimeMs;
  }

  /** A fresh path in the store's temp folder (same file system as the blobs, so rename works). */
  tempPath(prefix: string): string {
    return join(this.tmpDir, `${prefix}-${randomBytes(8).toString('hex')}`);
  }

  /**
   * Writes a stream as a blob. With `expected`, a stream whose sha256 differs is an
   * IMAGE_DIGEST_MISMATCH and nothing is stored.
   */
  async write(
    source: Readable | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    expected?: string,
  ): Promise<{ digest: string; size: number }> {
    const tmp = this.tempPath('blob');
    const hash = createHash('sha256');
    let size = 0;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      for await (const chunk of source as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        size += chunk.length;
        await fh.write(chunk);
      }
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    return this.commit(tmp, `sha256:${hash.digest('hex')}`, size, expected);
  }

  /** Writes bytes as a blob (manifests, configs). */
  async writeBytes(bytes: Uint8Array, expected?: string): Promise<{ digest: string; size: number }> {
    return this.write([bytes], expected);
  }

  /**
   * Adopts a file already on the store's file system (an extracted archive member): hashes it,
   * checks `expected`, fsyncs it and renames it into place.
   */
  async adopt(file: string, expected?: string): Promise<{ digest: string; size: number; existed: boolean }> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    const fh = await open(file, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    return this.commit(file, `sha256:${hash.digest('hex')}`, size, expected);
  }

  /**
   * Adopts a file whose digest the caller computed while writing it (one pass over an archive):
   * fsyncs it and renames it into place if the digest is the expected one.
   */
  async adoptHashed(
    file: string,
    digest: string,
    size: number,
    expected?: string,
  ): Promise<{ digest: string; size: number; existed: boolean }> {
    const fh = await open(file, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    return this.commit(file, digest, size, expected);
  }

  private async commit(
    tmp: string,
    digest: string,
    size: number,
    expected: string | undefined,
  ): Promise<{ digest: string; size: number; existed: boolean }> {
    if (expected !== undefined && expected !== digest) {
      await rm(tmp, { force: true });
      throw digestMismatch(expected, digest, 'blob');
    }
    const existed = await this.has(digest);
    await rename(tmp, this.path(digest));
    if (!existed) await syncDir(this.blobsDir);
    return { digest, size, existed };
  }

  /** Reads a whole blob (small ones: manifests and configs), checking its digest. */
  async readBytes(digest: string): Promise<Buffer> {
    const bytes = await readFile(this.path(digest));
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (actual !== digest) throw digestMismatch(digest, actual, 'stored blob');
    return bytes;
  }

  /** A stream of a blob's bytes. */
  stream(digest: string): Readable {
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }

  /** Every stored digest. */
  async list(): Promise<string[]> {
    return (await readdir(this.blobsDir)).filter((n) => HEX.test(n)).map((n) => `sha256:${n}`);
  }

  /** Removes a blob (no error if it is gone). */
  async remove(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }
}

/**
 * Removes what in a temp folder is over an hour old: a crash's leftover. A younger entry may be
 * another process's write in flight (the agent and `stratus image` share a store).
 */
export async function removeStaleTemps(dir: string): Promise<void> {
  const cutoff = Date.now() - 3_600_000;
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const name of names) {
    const path = join(dir, name);
    const st = await stat(path).catch(() => undefined);
    if (st !== undefined && st.mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
  }
}
