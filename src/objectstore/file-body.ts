import { Readable, type Writable } from 'node:stream';
import type { BodyCheck } from './data-check.js';
import type { DataReader } from './device/device.js';
import { READ_PIECE_BYTES } from './device/local-files.js';

/** What a FileBody needs: the open replica and, for a whole body, its check. */
export interface FileBodySource {
  reader: Pick<DataReader, 'read' | 'close'>;
  /** Body offsets, `end` inclusive. */
  start: number;
  end: number;
  /** Verifies the bytes of a whole body; a range is not checked (the auditor covers it). */
  check?: BodyCheck;
  /** Called when the check fails at the end; returns the error to fail the body with. */
  mismatch: () => Promise<Error>;
}

/**
 * The body of a large object read from one replica. It is a Readable for any consumer, and it
 * can also send itself to a writable through two reused buffers (`sendTo`, what a GET does):
 * one piece is read from the disk while the other is written to the socket, so the socket
 * always has the next bytes ready and nothing is allocated per piece. A body whose check fails
 * at the end never sends its last piece: the client sees a short body, not a wrong one.
 */
export class FileBody extends Readable {
  private position: number;
  private released = false;

  constructor(private readonly source: FileBodySource) {
    super({ highWaterMark: READ_PIECE_BYTES });
    this.position = source.start;
  }

  /** Sends the body to `dest` (not ending it); rejects, with nothing more sent, on a failure. */
  async sendTo(dest: Writable): Promise<void> {
    const pieces = [Buffer.allocUnsafe(this.pieceSize()), Buffer.allocUnsafe(this.pieceSize())];
    let writing: Promise<void> = Promise.resolve();
    let next: Promise<Buffer | undefined> | undefined;
    try {
      next = this.readPiece(pieces[0]!);
      for (let i = 0; ; i = 1 - i) {
        const piece = await next;
        if (piece === undefined) break;
        // The other buffer is free once its write finished; read into it meanwhile.
        await writing;
        next = this.readPiece(pieces[1 - i]!);
        writing = write(dest, piece);
      }
      await writing;
    } finally {
      // Nothing may touch the buffers or the file once this returns.
      await Promise.all([writing.catch(() => undefined), next?.catch(() => undefined)]);
      await this.close();
    }
  }

  override _read(): void {
    const buf = Buffer.allocUnsafe(this.pieceSize());
    this.readPiece(buf).then(
      (piece) => this.push(piece === undefined ? null : piece),
      (err: unknown) => this.destroy(err as Error),
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.close().then(
      () => callback(err),
      () => callback(err),
    );
  }

  private pieceSize(): number {
    return Math.max(1, Math.min(READ_PIECE_BYTES, this.source.end - this.source.start + 1));
  }

  /** Reads the next piece into `buf`; undefined at the end, an error if the whole body's check failed. */
  private async readPiece(buf: Buffer): Promise<Buffer | undefined> {
    const { reader, end, check } = this.source;
    const want = Math.min(buf.length, end + 1 - this.position);
    if (want <= 0) return undefined;
    let got = 0;
    while (got < want) {
      const n = await reader.read(buf.subarray(got, want), this.position + got);
      if (n === 0) throw new Error(`the data file ended ${end + 1 - this.position - got} bytes early`);
      got += n;
    }
    this.position += got;
    const piece = buf.subarray(0, got);
    check?.update(piece);
    if (check && this.position > end && !check.matches()) throw await this.source.mismatch();
    return piece;
  }

  private async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.source.reader.close();
  }
}

/** Writes a piece and resolves once the writable let go of it (the buffer may then be reused). */
function write(dest: Writable, piece: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (dest.destroyed) return reject(new Error('the destination closed'));
    dest.write(piece, (err) => (err ? reject(err) : resolve()));
  });
}
