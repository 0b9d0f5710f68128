import { createHash, timingSafeEqual, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ObjectStoreError } from '../errors.js';
import { EMPTY_SHA256 } from './sigv4.js';
import { signChunk, signTrailer } from './sigv4-signer.js';

/** What is needed to verify chunk signatures: the seed signature and its signing context. */
export interface ChunkSigning {
  key: Uint8Array;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

/** Options of an aws-chunked decoder. */
export interface AwsChunkedOptions {
  /** Verify each chunk's signature (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]); omit for unsigned. */
  signing?: ChunkSigning;
  /** Trailing headers follow the last chunk (the *-TRAILER variants). */
  trailer: boolean;
  /** x-amz-decoded-content-length, checked at the end when given. */
  decodedLength?: number;
}

const MAX_LINE = 8192;
const MAX_CHUNK = 5 * 1024 ** 3;

type State = 'header' | 'data' | 'crlf' | 'trailer' | 'done';

function sameSignature(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * Decodes an `aws-chunked` request body into the object's bytes, verifying every chunk
 * signature (each chained from the previous one, starting at the request's seed signature)
 * and collecting the trailing headers (`x-amz-checksum-*`, signed by `x-amz-trailer-signature`).
 * Bytes of a chunk are passed on before its signature is checked, so a bad signature shows up
 * as a stream error before the end: the consumer must store nothing from an errored stream.
 */
export class AwsChunkedDecoder extends Transform {
  /** Trailing headers (lowercase names), known before this stream ends. */
  readonly trailers = new Map<string, string>();
  private state: State = 'header';
  private line: Buffer[] = [];
  private lineLength = 0;
  private remaining = 0;
  private decoded = 0;
  private sawCr = false;
  private chunkHash: Hash | undefined;
  private chunkSignature: string | undefined;
  private previousSignature: string;
  private trailerCanonical = '';
  private trailerSignature: string | undefined;

  constructor(private readonly options: AwsChunkedOptions) {
    super();
    this.previousSignature = options.signing?.seedSignature ?? '';
  }

  /** Decoded bytes so far. */
  get decodedBytes(): number {
    return this.decoded;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.state === 'trailer' && this.lineLength === 0) this.finishTrailers();
      if (this.state !== 'done')
        throw new ObjectStoreError('IncompleteBody', 'The aws-chunked body ended before its final chunk');
      if (this.options.decodedLength !== undefined && this.decoded !== this.options.decodedLength) {
        throw new ObjectStoreError(
          'IncompleteBody',
          `The decoded body has ${this.decoded} bytes but x-amz-decoded-content-length says ${this.options.decodedLength}`,
        );
      }
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private consume(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case 'header':
        case 'trailer': {
          const nl = buf.indexOf(10, i);
          const end = nl < 0 ? buf.length : nl;
          this.line.push(buf.subarray(i, end));
          this.lineLength += end - i;
          if (this.lineLength > MAX_LINE)
            throw new ObjectStoreError('InvalidRequest', 'An aws-chunked header line is too long');
          i = nl < 0 ? buf.length : nl + 1;
          if (nl >= 0) {
            let text = Buffer.concat(this.line).toString('latin1');
            if (text.endsWith('\r')) text = text.slice(0, -1);
            this.line = [];
            this.lineLength = 0;
            if (this.state === 'header') this.onChunkHeader(text);
            else this.onTrailerLine(text);
          }
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, buf.length - i);
          const piece = buf.subarray(i, i + n);
          this.chunkHash?.update(piece);
          this.push(piece);
          this.remaining -= n;
          this.decoded += n;
          i += n;
          if (this.remaining === 0) this.state = 'crlf';
          break;
        }
        case 'crlf': {
          const b = buf[i++];
          if (b === 13 && !this.sawCr) this.sawCr = true;
          else if (b === 10) {
            this.sawCr = false;
            this.endChunk(this.chunkHash?.digest('hex') ?? '');
            this.state = 'header';
          } else
            throw new ObjectStoreError(
              'InvalidRequest',
              'An aws-chunked chunk is longer than its declared size',
            );
          break;
        }
        case 'done':
          i = buf.length;
          break;
      }
    }
  }

  private onChunkHeader(line: string): void {
    const [sizeHex = '', ...extensions] = line.split(';');
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeHex.trim())) {
      throw new ObjectStoreError(
        'InvalidRequest',
        `Malformed aws-chunked chunk header ${JSON.stringify(line.slice(0, 100))}`,
      );
    }
    const size = parseInt(sizeHex.trim(), 16);
    if (size > MAX_CHUNK)
      throw new ObjectStoreError('EntityTooLarge', `An aws-chunked chunk of ${size} bytes is too large`);
    const sig = extensions.map((e) => e.trim()).find((e) => e.startsWith('chunk-signature='));
    this.chunkSignature = sig?.slice('chunk-signature='.length);
    if (this.options.signing !== undefined && this.chunkSignature === undefined) {
      throw new ObjectStoreError('SignatureDoesNotMatch', 'An aws-chunked chunk has no chunk-signature');
    }
    if (size === 0) {
      this.endChunk(EMPTY_SHA256);
      this.state = 'trailer';
      return;
    }
    this.remaining = size;
    this.chunkHash = this.options.signing === undefined ? undefined : createHash('sha256');
    this.state = 'data';
  }

  private endChunk(sha256: string): void {
    const s = this.options.signing;
    if (s === undefined) return;
    const expected = signChunk(s.key, s.amzDate, s.scope, this.previousSignature, sha256);
    if (!sameSignature(expected, this.chunkSignature ?? '')) {
      throw new ObjectStoreError(
        'SignatureDoesNotMatch',
        `The chunk signature after byte ${this.decoded} does not match`,
      );
    }
    this.previousSignature = expected;
  }

  private onTrailerLine(line: string): void {
    if (line === '') {
      this.finishTrailers();
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !this.options.trailer) {
      throw new ObjectStoreError(
        'InvalidRequest',
        `Unexpected text after the last aws-chunked chunk: ${JSON.stringify(line.slice(0, 100))}`,
      );
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') this.trailerSignature = value;
    else {
      this.trailers.set(name, value);
      this.trailerCanonical += `${name}:${value}\n`;
    }
  }

  private finishTrailers(): void {
    const s = this.options.signing;
    if (s !== undefined && this.options.trailer) {
      const expected = signTrailer(s.key, s.amzDate, s.scope, this.previousSignature, this.trailerCanonical);
      if (!sameSignature(expected, this.trailerSignature ?? '')) {
        throw new ObjectStoreError(
          'SignatureDoesNotMatch',
          'The trailer signature (x-amz-trailer-signature) does not match',
        );
      }
    }
    this.state = 'done';
  }
}
