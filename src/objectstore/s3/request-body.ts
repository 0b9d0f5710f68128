import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Checksum } from '../object-store.js';
import type { AuthResult } from './auth.js';
import { BodyVerifier } from './body-verifier.js';
import { algorithmOfHeader, digestLength, type ChecksumAlgorithm } from './checksums.js';
import { AwsChunkedDecoder } from './chunked-decoder.js';
import { ObjectStoreError } from '../errors.js';

/** The most bytes one request body may carry (S3's single PUT limit). */
export const MAX_BODY = 5 * 1024 ** 3;

/** A request body: declared size and checksum, and the verified stream made on demand. */
export interface RequestBody {
  size: number | undefined;
  /**
   * The checksum the client sent, as a header or a trailer; a trailer's `value` is a getter that
   * is only meaningful once the stream has ended (the engine reads it then).
   */
  checksum: Checksum | undefined;
  /** The error that failed the body stream, if any: more precise than what a consumer reports. */
  error(): Error | undefined;
  stream(): Readable;
  read(limit: number): Promise<Buffer>;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function integerHeader(req: IncomingMessage, name: string): number | undefined {
  const v = headerValue(req, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,16}$/.test(v.trim()))
    throw new ObjectStoreError(
      'InvalidArgument',
      `The ${name} header must be a non-negative integer, not ${JSON.stringify(v.slice(0, 40))}`,
    );
  return Number(v.trim());
}

function validChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  return Buffer.from(value, 'base64').length === digestLength(algorithm);
}

/**
 * Prepares the body of an authenticated request: decodes aws-chunked bodies (verifying chunk
 * and trailer signatures), and verifies the signed SHA-256, the declared length and any
 * `x-amz-checksum-*` (header or trailer) before the stream ends. The stream is built only when
 * a handler asks for it; an aborted client errors it, so nothing partial is ever committed.
 */
export function requestBody(req: IncomingMessage, auth: AuthResult): RequestBody {
  const streaming = auth.payload.startsWith('streaming');
  const trailerMode = auth.payload.endsWith('trailer');
  const decodedLength = integerHeader(req, 'x-amz-decoded-content-length');
  const contentLength = integerHeader(req, 'content-length');
  const size = streaming ? decodedLength : contentLength;
  if (size !== undefined && size > MAX_BODY)
    throw new ObjectStoreError(
      'EntityTooLarge',
      `Your proposed upload of ${size} bytes exceeds the maximum allowed size of ${MAX_BODY} bytes`,
    );

  let checksum: Checksum | undefined;
  for (const name of Object.keys(req.headers)) {
    const algorithm = algorithmOfHeader(name);
    if (algorithm === undefined) continue;
    const value = headerValue(req, name) ?? '';
    if (checksum !== undefined)
      throw new ObjectStoreError(
        'InvalidRequest',
        'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
      );
    if (!validChecksumValue(algorithm, value.trim()))
      throw new ObjectStoreError('InvalidRequest', `Value for ${name} header is invalid.`);
    checksum = { algorithm, value: value.trim() };
  }
  const trailerName = headerValue(req, 'x-amz-trailer')?.trim().toLowerCase();
  let trailerAlgorithm: ChecksumAlgorithm | undefined;
  if (trailerName !== undefined && trailerName !== '') {
    trailerAlgorithm = algorithmOfHeader(trailerName);
    if (trailerAlgorithm === undefined)
      throw new ObjectStoreError(
        'InvalidRequest',
        `The trailer ${JSON.stringify(trailerName)} is not a supported checksum`,
      );
    if (!trailerMode)
      throw new ObjectStoreError(
        'InvalidRequest',
        'x-amz-trailer requires a STREAMING-*-TRAILER x-amz-content-sha256',
      );
    if (checksum !== undefined)
      throw new ObjectStoreError(
        'InvalidRequest',
        'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
      );
  }

  const sdkAlgorithm = headerValue(req, 'x-amz-sdk-checksum-algorithm');
  const hasBody = streaming || (contentLength ?? 0) > 0;
  if (sdkAlgorithm !== undefined && hasBody && checksum === undefined && trailerAlgorithm === undefined) {
    throw new ObjectStoreError(
      'InvalidRequest',
      `x-amz-sdk-checksum-algorithm ${sdkAlgorithm} was sent without an x-amz-checksum-* header or trailer`,
    );
  }

  let made: Readable | undefined;
  let decoderRef: AwsChunkedDecoder | undefined;
  let failure: Error | undefined;
  let declared = checksum;
  if (trailerAlgorithm !== undefined && trailerName !== undefined) {
    const name = trailerName;
    declared = {
      algorithm: trailerAlgorithm,
      get value(): string {
        return decoderRef?.trailers.get(name) ?? '';
      },
    };
  }
  const stream = (): Readable => {
    if (made !== undefined) return made;
    const decoder = streaming
      ? new AwsChunkedDecoder({
          trailer: trailerMode,
          ...(auth.chunkSigning === undefined ? {} : { signing: auth.chunkSigning }),
          ...(decodedLength === undefined ? {} : { decodedLength }),
        })
      : undefined;
    decoderRef = decoder;
    const verifier = new BodyVerifier({
      ...(auth.sha256 === undefined ? {} : { sha256: auth.sha256 }),
      ...(checksum !== undefined
        ? { checksum: { algorithm: checksum.algorithm, value: () => checksum?.value } }
        : trailerAlgorithm !== undefined && trailerName !== undefined && decoder !== undefined
          ? { checksum: { algorithm: trailerAlgorithm, value: () => decoder.trailers.get(trailerName) } }
          : {}),
      ...(!streaming && contentLength !== undefined ? { length: contentLength } : {}),
      maxLength: MAX_BODY,
    });
    const abort = (): void => {
      if (req.complete) return;
      const err = new ObjectStoreError(
        'IncompleteBody',
        'The client closed the connection before sending the whole body',
      );
      decoder?.destroy(err);
      verifier.destroy(err);
    };
    verifier.on('error', (err) => {
      failure ??= err;
    });
    req.on('aborted', abort);
    req.on('close', abort);
    req.on('error', abort);
    if (decoder !== undefined) {
      decoder.on('error', (err) => verifier.destroy(err));
      req.pipe(decoder).pipe(verifier);
    } else req.pipe(verifier);
    made = verifier;
    return verifier;
  };

  const read = async (limit: number): Promise<Buffer> => {
    if (contentLength !== undefined && !streaming && contentLength > limit) {
      throw new ObjectStoreError(
        'MaxMessageLengthExceeded',
        `Your request of ${contentLength} bytes was too big; at most ${limit} are accepted here`,
      );
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream()) {
      const b = chunk as Buffer;
      total += b.length;
      if (total > limit)
        throw new ObjectStoreError(
          'MaxMessageLengthExceeded',
          `Your request was too big; at most ${limit} bytes are accepted here`,
        );
      chunks.push(b);
    }
    return Buffer.concat(chunks);
  };

  return { size, checksum: declared, stream, read, error: () => failure };
}
