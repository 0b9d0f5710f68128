import { Readable, type Duplex, type Writable } from 'node:stream';
import { BufferPool } from './buffer-pool.js';
import type { BodyCheck } from './data-check.js';
import type { PieceReader } from './data-hash-pool.js';
import type { DataReader } from '../device/index.js';
import { READ_PIECE_BYTES } from '../device/index.js';

/** What a FileBody needs: the open replica and, for a whole body, how to check it. */
export interface FileBodySource {
  reader: Pick<DataReader, 'read' | 'close'>;
  /** Body offsets, `end` inclusive. */
  start: number;
  end: number;
  /** Verifies the bytes of a whole body; a range is not checked (the auditor covers it). */
  check?: BodyCheck;
  /**
   * For a whole body with a CRC-32 footer: reads on a hashing thread, which keeps the CRC (the
   * reader is started on the first read), and the value it must come to. `sendTo` then leaves
   * the event loop only the socket writes.
   */
  threaded?: { start: () => PieceReader; crc32: string };
  /** Called when the check fails at the end; returns the error to fail the body with. */
  mismatch: () => Promise<Error>;
}

/** How a GET sends a body: in `count` pieces at once (one being read, the others being written). */
interface PiecePlan {
  /** The smallest body sent this way. */
  minBytes: number;
  count: number;
  /** Piece buffers kept between bodies, enough for several GETs at once. */
  pool: BufferPool;
}

/**
 * Bodies of 32 MiB and more go in two 2 MiB pieces: a quarter as many thread hops and socket
 * writes as 512 KiB pieces, which measured 15-25 % more throughput for 64 MiB. Smaller bodies keep
 * three 512 KiB pieces, which holds the memory of many GETs at once (the mixed load) lower.
 */
const PIECE_PLANS: readonly PiecePlan[] = [
  { minBytes: 32 * 1024 * 1024, count: 2, pool: new BufferPool(2 * 1024 * 1024, 8) },
  { minBytes: 0, count: 3, pool: new BufferPool(READ_PIECE_BYTES, 16) },
];

/**
 * The body of a large object read from one replica. It is a Readable for any consumer, and it
 * can also send itself to a writable through a few reused buffers (`sendTo`, what a GET does):
 * the next piece is read while earlier ones are written to the socket, so the socket always has
 * bytes ready and nothing is allocated per piece. A body whose check fails at the end never
 * sends its last piece: the client sees a short body, not a wrong one.
 */
export class FileBody extends Readable {
  private position: number;
  private released = false;
  private threadReader: PieceReader | undefined;

  constructor(private readonly source: FileBodySource) {
    super({ highWaterMark: READ_PIECE_BYTES });
    this.position = source.start;
  }

  /**
   * Sends the body to `dest` (not ending it). On a failure nothing more is sent: `dest` is
   * destroyed and the promise rejects. One piece is read while the plan's other pieces are being
   * written. `connection` is the socket under `dest` when it may close without
   * `dest` knowing (an HTTP reply queued behind another on a keep-alive connection).
   */
  async sendTo(dest: Writable, connection?: Duplex): Promise<void> {
    const bytes = this.source.end + 1 - this.source.start;
    const { count, pool } = PIECE_PLANS.find((p) => bytes >= p.minBytes)!;
    const free = Array.from({ length: count }, () => pool.take());
    let pending = 0;
    let failed: Error | undefined;
    let reading: Promise<{ buf: ArrayBuffer; n: number }> | undefined;
    // One waiter at a time, woken by a finished write or by the destination closing (a closed
    // destination may never call back for its writes).
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const gone = (): boolean => dest.destroyed || connection?.destroyed === true;
    const waitWhile = async (busy: () => boolean): Promise<void> => {
      while (busy() && failed === undefined && !gone()) await new Promise<void>((r) => (wake = r));
      if (failed !== undefined) throw failed;
      if (gone()) throw destinationClosed();
    };
    dest.once('close', notify);
    connection?.once('close', notify);
    try {
      for (;;) {
        // A buffer is free once the write of its last piece finished.
        await waitWhile(() => free.length === 0);
        reading = this.readPiece(free.pop()!);
        const { buf, n } = await reading;
        reading = undefined;
        if (n === 0) {
          free.push(buf);
          break;
        }
        if (this.position > this.source.end) await this.verifyEnd();
        pending++;
        write(dest, Buffer.from(buf, 0, n)).then(
          () => {
            pending--;
            free.push(buf);
            notify();
          },
          (err: unknown) => {
            failed ??= err as Error;
            notify();
          },
        );
      }
      await waitWhile(() => pending > 0);
    } catch (err) {
      // Nothing more goes out, and writes still queued are dropped with their buffers.
      dest.destroy(err as Error);
      throw err;
    } finally {
      dest.off('close', notify);
      connection?.off('close', notify);
      // Nothing may touch the buffers or the file once this returns.
      await reading?.catch(() => undefined);
      free.forEach((buf) => pool.give(buf));
      await this.close();
    }
  }

  override _read(): void {
    this.readPiece(new ArrayBuffer(Math.min(READ_PIECE_BYTES, this.source.end + 1 - this.position)))
      .then(async ({ buf, n }) => {
        if (n > 0 && this.position > this.source.end) await this.verifyEnd();
        this.push(n === 0 ? null : Buffer.from(buf, 0, n));
      })
      .catch((err: unknown) => this.destroy(err as Error));
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.close().then(
      () => callback(err),
      () => callback(err),
    );
  }

  /** Reads the next piece into `buf` (moved to the reading thread and back when threaded); n is 0 at the end. */
  private async readPiece(buf: ArrayBuffer): Promise<{ buf: ArrayBuffer; n: number }> {
    // The file is closed after the last read; nothing may read it (or a reused descriptor) after.
    if (this.released) throw new Error('the body was closed');
    const { reader, end, check, threaded } = this.source;
    const want = Math.min(buf.byteLength, end + 1 - this.position);
    if (want <= 0) return { buf, n: 0 };
    let got: { buf: ArrayBuffer; n: number };
    if (threaded) {
      this.threadReader ??= threaded.start();
      got = await this.threadReader.read(buf, want, this.position);
    } else {
      let n = 0;
      const view = Buffer.from(buf, 0, want);
      while (n < want) {
        const r = await reader.read(view.subarray(n), this.position + n);
        if (r === 0) break;
        n += r;
      }
      check?.update(view.subarray(0, n));
      got = { buf, n };
    }
    if (got.n < want) throw new Error(`the data file ended ${end + 1 - this.position - got.n} bytes early`);
    this.position += got.n;
    return got;
  }

  /** After the last piece was read: fails unless the whole body's check holds. */
  private async verifyEnd(): Promise<void> {
    const { check, threaded, mismatch } = this.source;
    const ok =
      threaded && this.threadReader
        ? (await this.threadReader.crc32()) === threaded.crc32
        : (check?.matches() ?? true);
    if (!ok) throw await mismatch();
  }

  private async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.threadReader?.close();
    await this.source.reader.close();
  }
}

/** The error of writing to a closed destination, with the code node's streams give it. */
function destinationClosed(): Error {
  return Object.assign(new Error('the destination closed'), { code: 'ERR_STREAM_DESTROYED' });
}

/** Writes a piece and resolves once the writable let go of it (the buffer may then be reused). */
function write(dest: Writable, piece: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (dest.destroyed) return reject(destinationClosed());
    dest.write(piece, (err) => (err ? reject(err) : resolve()));
  });
}
