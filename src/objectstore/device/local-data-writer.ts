import { open, unlink, type FileHandle } from 'node:fs/promises';
import { encodeFooter } from './data-file.js';
import type { DataFooter, DataWriter } from './device.js';

/** Bytes written between background flushes of an in-flight data file. */
const FLUSH_EVERY = 16 * 1024 * 1024;

/** Writes whole buffers at a file offset (a positioned write may write less than asked). */
async function writeAt(fh: FileHandle, chunk: Buffer | readonly Buffer[], position: number): Promise<void> {
  if (!Buffer.isBuffer(chunk)) {
    const total = chunk.reduce((n, b) => n + b.length, 0);
    // One gathering write per batch, no copy; a short write (rare) finishes from a copy.
    const { bytesWritten } = await fh.writev(chunk as Buffer[], position);
    if (bytesWritten < total)
      await writeAt(fh, Buffer.concat(chunk).subarray(bytesWritten), position + bytesWritten);
    return;
  }
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off, position + off);
    off += bytesWritten;
  }
}

/**
 * Opens a new data file at `tmp` for a streamed write. Writes may overlap and land in call order
 * (positioned, gathering writes), dirty pages are flushed in the background as the body arrives,
 * and `commit` appends the footer, fdatasyncs once more and calls `place` to rename the file into
 * its folder; `abort` removes it.
 */
export async function openDataWriter(
  tmp: string,
  place: (footer: DataFooter) => Promise<void>,
): Promise<DataWriter> {
  const fh = await open(tmp, 'wx');
  let done = false;
  // Each write gets its offset when it is called, so writes may overlap (the caller keeps a
  // few in flight while it reads the socket) and still land in call order.
  let position = 0;
  // Dirty pages are flushed in the background every FLUSH_EVERY bytes, so the disk works while
  // the body is still arriving and the final fdatasync has only the tail left to write.
  let flushedAt = 0;
  let flushing: Promise<void> = Promise.resolve();
  let flushError: Error | undefined;
  const finish = async (): Promise<void> => {
    if (done) return;
    done = true;
    await flushing;
    await fh.close().catch(() => undefined);
  };
  return {
    write: async (chunk) => {
      const at = position;
      position += Buffer.isBuffer(chunk) ? chunk.length : chunk.reduce((n, b) => n + b.length, 0);
      await writeAt(fh, chunk, at);
      if (position - flushedAt >= FLUSH_EVERY && !done) {
        flushedAt = position;
        flushing = flushing.then(() => fh.datasync().catch((err: Error) => void (flushError ??= err)));
      }
    },
    commit: async (footer) => {
      await writeAt(fh, encodeFooter(footer), position);
      await flushing;
      if (flushError !== undefined) throw flushError;
      // One flush for the rest of the file; the size is part of what fdatasync makes durable.
      await fh.datasync();
      await finish();
      await place(footer);
    },
    abort: async () => {
      await finish();
      await unlink(tmp).catch(() => undefined);
    },
  };
}
