import { Readable } from 'node:stream';

/**
 * A body that is already in memory (an inline object, verified): a Readable for callers that
 * stream, and `buffer` for those that can send it in one write (the S3 gateway ends the response
 * with it, skipping a stream pipeline per small GET).
 */
export class BufferBody extends Readable {
  private sent = false;

  constructor(readonly buffer: Buffer) {
    super();
  }

  override _read(): void {
    if (!this.sent) {
      this.sent = true;
      if (this.buffer.length > 0) this.push(this.buffer);
    }
    this.push(null);
  }
}
