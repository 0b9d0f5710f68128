import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { decodeFooter, footerLength } from './data-file.js';
import type { DataReader } from './device.js';

/**
 * Creates folders below an existing base one level at a time, never the base itself: a device
 * folder that was removed must stay missing rather than be re-created by a write in flight.
 */
export async function mkdirIn(base: string, ...segments: string[]): Promise<void> {
  let dir = base;
  for (const seg of segments) {
    dir = join(dir, seg);
    try {
      await mkdir(dir);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
  }
}

/** Size of the pieces a data file is read in (streams, and a GET's pooled buffers). */
export const READ_PIECE_BYTES = 512 * 1024;

/** Writes a whole buffer (FileHandle.write may write less). */
export async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

/** Names of the sub-folders of a folder; none when it is missing. */
export async function dirNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

/** Opens a committed data file and reads its footer; a file whose footer does not parse reads as corrupt (size -1). */
export async function openData(file: string, fileName: string): Promise<DataReader | undefined> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return undefined;
  try {
    const { size } = await fh.stat();
    if (size < 8) throw new Error('short');
    const tail = Buffer.alloc(8);
    await fh.read(tail, 0, 8, size - 8);
    const len = footerLength(tail);
    if (len === undefined || len > size) throw new Error('bad footer');
    const json = Buffer.alloc(len - 8);
    await fh.read(json, 0, len - 8, size - len);
    const footer = decodeFooter(json);
    if (!footer || footer.size !== size - len) throw new Error('bad footer');
    const bodySize = footer.size;
    return {
      fileName,
      footer,
      fd: fh.fd,
      stream: (start = 0, end = bodySize - 1): Readable =>
        bodySize === 0 || end < start
          ? Readable.from([])
          : // Read through the open handle: the file may be renamed (quarantine) or replaced meanwhile.
            // Pieces of READ_PIECE_BYTES: fewer reads than the 64 KiB default (the auditor, the
            // replicator and explain stream whole files).
            fh.createReadStream({
              start,
              end: Math.min(end, bodySize - 1),
              autoClose: false,
              highWaterMark: READ_PIECE_BYTES,
            }),
      read: async (buf, position) => {
        if (position >= bodySize) return 0;
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, bodySize - position), position);
        return bytesRead;
      },
      readAll: async () => {
        const buf = Buffer.alloc(bodySize);
        let off = 0;
        while (off < bodySize) {
          const { bytesRead } = await fh.read(buf, off, bodySize - off, off);
          if (bytesRead === 0) break;
          off += bytesRead;
        }
        return buf;
      },
      close: () => fh.close().catch(() => undefined),
    };
  } catch {
    await fh.close();
    // A file whose footer does not parse is as corrupt as one whose MD5 is wrong.
    return {
      fileName,
      footer: { bucket: '', key: '', name: '', ts: '', size: -1, md5: '', meta: '' },
      stream: () => Readable.from([]),
      read: () => Promise.resolve(0),
      readAll: () => Promise.resolve(Buffer.alloc(0)),
      close: () => Promise.resolve(),
    };
  }
}
