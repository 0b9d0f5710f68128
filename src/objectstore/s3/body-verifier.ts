import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ObjectStoreError } from '../errors.js';
import { createChecksum, type ChecksumAlgorithm, type ChecksumHasher } from './checksums.js';

/** What a request body must satisfy by its end. */
export interface BodyExpectations {
  /** The hex SHA-256 from x-amz-content-sha256. */
  sha256?: string;
  /** An additional checksum; `value` is read at the end, so a trailer may supply it late. */
  checksum?: { algorithm: ChecksumAlgorithm; value: () => string | undefined };
  /** The exact length, when declared. */
  length?: number;
  /** The most bytes allowed (EntityTooLarge beyond). */
  maxLength?: number;
}

/**
 * Passes a request body through while hashing it, and fails the stream at its end (before the
 * consumer sees `end`) when the SHA-256, the additional checksum or the length is wrong, so the
 * object store never commits a body that does not match what the client signed or declared.
 */
export class BodyVerifier extends Transform {
  private readonly sha: Hash | undefined;
  private readonly hasher: ChecksumHasher | undefined;
  private bytes = 0;
  /** The computed checksum (base64), set once the body ended. */
  computedChecksum: string | undefined;

  constructor(private readonly expect: BodyExpectations) {
    super();
    this.sha = expect.sha256 === undefined ? undefined : createHash('sha256');
    this.hasher = expect.checksum === undefined ? undefined : createChecksum(expect.checksum.algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expect.maxLength !== undefined && this.bytes > this.expect.maxLength) {
      callback(
        new ObjectStoreError(
          'EntityTooLarge',
          `Your proposed upload exceeds the maximum allowed size of ${this.expect.maxLength} bytes`,
        ),
      );
      return;
    }
    this.sha?.update(chunk);
    this.hasher?.update(chunk);
    // Pieces pass through as the socket delivered them: the engine batches its writes itself
    // (gathering writes), so copying them into larger buffers here would only cost memory traffic.
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const e = this.expect;
    if (e.length !== undefined && this.bytes !== e.length) {
      callback(
        new ObjectStoreError(
          'IncompleteBody',
          `You did not provide the number of bytes specified: got ${this.bytes}, expected ${e.length}`,
        ),
      );
      return;
    }
    if (this.sha !== undefined && this.sha.digest('hex') !== e.sha256) {
      callback(
        new ObjectStoreError(
          'XAmzContentSHA256Mismatch',
          "The provided 'x-amz-content-sha256' header does not match what was computed",
        ),
      );
      return;
    }
    if (this.hasher !== undefined && e.checksum !== undefined) {
      this.computedChecksum = this.hasher.digest();
      const value = e.checksum.value();
      if (value === undefined) {
        callback(
          new ObjectStoreError(
            'InvalidRequest',
            `The ${e.checksum.algorithm} checksum trailer was declared but not sent`,
          ),
        );
        return;
      }
      if (value !== this.computedChecksum) {
        callback(
          new ObjectStoreError(
            'BadDigest',
            `The ${e.checksum.algorithm} you specified did not match the calculated checksum`,
          ),
        );
        return;
      }
    }
    callback();
  }
}
