import { timingSafeEqual } from 'node:crypto';
import type { ChunkSigning } from './chunked-decoder.js';
import type { CredentialStore } from './credentials.js';
import { ObjectStoreError } from '../errors.js';
import {
  ALGORITHM,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  UNSIGNED_PAYLOAD,
  canonicalRequest,
  formatAmzDate,
  parseAmzDate,
  parseAuthorization,
  parseCredential,
  scopeOf,
  stringToSign,
  type Credential,
} from './sigv4.js';
import { hmac, sha256Hex, signingKey } from './sigv4-signer.js';

/** How the request body is protected, from x-amz-content-sha256. */
export type PayloadMode =
  'unsigned' | 'sha256' | 'streaming-signed' | 'streaming-signed-trailer' | 'streaming-unsigned-trailer';

/** The outcome of authenticating a request. */
export interface AuthResult {
  /** The user the key belongs to; '' for an anonymous request. */
  user: string;
  accessKeyId: string;
  payload: PayloadMode;
  /** The hex SHA-256 the body must have (payload 'sha256'). */
  sha256?: string;
  /** For signed aws-chunked bodies: the seed signature and signing context. */
  chunkSigning?: ChunkSigning;
}

/** The parts of a request authentication needs. */
export interface AuthInput {
  method: string;
  /** Decoded path. */
  path: string;
  query: ReadonlyArray<readonly [string, string]>;
  /** Lowercase names, SigV4-canonical values (see headerMap). */
  headers: ReadonlyMap<string, string>;
}

/** The largest clock difference S3 tolerates between client and server. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

function payloadMode(hash: string): PayloadMode {
  switch (hash) {
    case UNSIGNED_PAYLOAD:
      return 'unsigned';
    case STREAMING_SIGNED:
      return 'streaming-signed';
    case STREAMING_SIGNED_TRAILER:
      return 'streaming-signed-trailer';
    case STREAMING_UNSIGNED_TRAILER:
      return 'streaming-unsigned-trailer';
    default:
      if (/^[0-9a-f]{64}$/.test(hash)) return 'sha256';
      throw new ObjectStoreError(
        'InvalidArgument',
        `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or a hex SHA-256, not ${JSON.stringify(hash.slice(0, 80))}`,
      );
  }
}

/** Derived signing keys by secret and scope: the HMAC chain changes once a day per key. */
const signingKeys = new Map<string, Buffer>();
const SIGNING_KEY_CACHE = 1024;

/**
 * The SigV4 signing key of a secret and credential scope, derived once and then reused (four
 * HMACs saved per request). The secret is part of the cache key, so a replaced secret never
 * reuses an old key; the cache is bounded and starts over when full.
 */
export function cachedSigningKey(secretAccessKey: string, credential: Credential): Buffer {
  const id = `${secretAccessKey}\u0000${credential.date}\u0000${credential.region}\u0000${credential.service}`;
  let key = signingKeys.get(id);
  if (key === undefined) {
    if (signingKeys.size >= SIGNING_KEY_CACHE) signingKeys.clear();
    key = signingKey(secretAccessKey, credential);
    signingKeys.set(id, key);
  }
  return key;
}

/** Compares a computed signature with the hex digits a client sent, in constant time. */
export function same(expected: Buffer, signature: string, encoding: 'hex' | 'base64' = 'hex'): boolean {
  const given = Buffer.from(signature, encoding);
  if (encoding === 'base64') return given.length === expected.length && timingSafeEqual(expected, given);
  return given.length === expected.length && signature.length === 2 * expected.length
    ? timingSafeEqual(expected, given)
    : false;
}

/**
 * Authenticates a request signed with AWS Signature V4, in the Authorization header or in a
 * presigned URL's query: checks the timestamp (15 minutes of skew; X-Amz-Expires for presigned
 * URLs), looks the key up, recomputes the signature and tells how the body must be verified.
 * Requests without a signature are AccessDenied: Stratus has no anonymous access.
 */
export async function authenticate(
  input: AuthInput,
  credentials: CredentialStore,
  now: number,
): Promise<AuthResult> {
  const header = input.headers.get('authorization');
  const queryValue = (name: string): string | undefined => input.query.find(([n]) => n === name)?.[1];
  let credential: Credential;
  let signedHeaders: string[];
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  const presigned = header === undefined && queryValue('X-Amz-Algorithm') !== undefined;
  if (header !== undefined) {
    ({ credential, signedHeaders, signature } = parseAuthorization(header));
    const xAmzDate = input.headers.get('x-amz-date');
    const dateHeader = input.headers.get('date');
    const ms =
      xAmzDate !== undefined
        ? parseAmzDate(xAmzDate)
        : dateHeader !== undefined
          ? Date.parse(dateHeader)
          : undefined;
    if (ms === undefined || Number.isNaN(ms)) {
      throw new ObjectStoreError(
        'AccessDenied',
        'AWS authentication requires a valid Date or x-amz-date header',
      );
    }
    amzDate = xAmzDate ?? formatAmzDate(ms);
    if (Math.abs(now - ms) > MAX_SKEW_MS) {
      throw new ObjectStoreError(
        'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.',
        {
          RequestTime: amzDate,
          ServerTime: new Date(now).toISOString(),
          MaxAllowedSkewMilliseconds: MAX_SKEW_MS,
        },
      );
    }
    const hash = input.headers.get('x-amz-content-sha256');
    if (hash === undefined)
      throw new ObjectStoreError(
        'MissingSecurityHeader',
        'Your request was missing a required header: x-amz-content-sha256',
        { MissingHeaderName: 'x-amz-content-sha256' },
      );
    payloadHash = hash;
  } else if (presigned) {
    const bad = (why: string): ObjectStoreError =>
      new ObjectStoreError('AuthorizationQueryParametersError', why);
    if (queryValue('X-Amz-Algorithm') !== ALGORITHM)
      throw bad(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
    const cred = parseCredential(queryValue('X-Amz-Credential') ?? '');
    if (cred === undefined)
      throw bad('X-Amz-Credential is missing or malformed; it must be KEY/DATE/REGION/SERVICE/aws4_request');
    credential = cred;
    amzDate = queryValue('X-Amz-Date') ?? '';
    const ms = parseAmzDate(amzDate);
    if (ms === undefined) throw bad("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    const expiresText = queryValue('X-Amz-Expires') ?? '';
    const expires = /^-?\d{1,15}$/.test(expiresText) ? Number(expiresText) : NaN;
    if (Number.isNaN(expires)) throw bad('X-Amz-Expires should be a number');
    if (expires < 0) throw bad('X-Amz-Expires must be non-negative');
    if (expires > 604800)
      throw bad(
        'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds',
      );
    signature = queryValue('X-Amz-Signature') ?? '';
    if (!/^[0-9a-f]{64}$/.test(signature)) throw bad('X-Amz-Signature is missing or not 64 hex digits');
    signedHeaders = (queryValue('X-Amz-SignedHeaders') ?? '')
      .split(';')
      .filter((h) => h !== '')
      .map((h) => h.toLowerCase());
    // A URL valid for 0 seconds has expired by the time it arrives (AWS accepts 1 to 604,800).
    if (expires === 0 || now > ms + expires * 1000) {
      throw new ObjectStoreError('AccessDenied', 'Request has expired', {
        'X-Amz-Expires': expires,
        Expires: new Date(ms + expires * 1000).toISOString(),
        ServerTime: new Date(now).toISOString(),
      });
    }
    if (ms - now > MAX_SKEW_MS) throw new ObjectStoreError('AccessDenied', 'Request is not valid yet');
    payloadHash = input.headers.get('x-amz-content-sha256') ?? UNSIGNED_PAYLOAD;
  } else if (queryValue('AWSAccessKeyId') !== undefined) {
    throw new ObjectStoreError(
      'AccessDenied',
      'Signature Version 2 is not supported; sign requests with AWS4-HMAC-SHA256',
    );
  } else {
    throw new ObjectStoreError(
      'AccessDenied',
      'Anonymous access is forbidden; sign the request with AWS Signature Version 4',
    );
  }
  if (credential.date !== amzDate.slice(0, 8)) {
    throw new ObjectStoreError(
      'AuthorizationHeaderMalformed',
      `The credential date ${credential.date} does not match the request date ${amzDate.slice(0, 8)}`,
    );
  }
  if (credential.service !== 's3') {
    throw new ObjectStoreError(
      'AuthorizationHeaderMalformed',
      `The credential service must be s3, not ${JSON.stringify(credential.service)}`,
    );
  }
  if (!signedHeaders.includes('host')) {
    throw new ObjectStoreError('AuthorizationHeaderMalformed', 'The signed headers must include host');
  }
  const payload = payloadMode(payloadHash);
  if (presigned && payload !== 'unsigned' && payload !== 'sha256') {
    throw new ObjectStoreError('InvalidRequest', 'Presigned URLs cannot use aws-chunked payloads');
  }
  const found = await credentials.lookup(credential.accessKeyId);
  if (found === undefined) {
    throw new ObjectStoreError(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      { AWSAccessKeyId: credential.accessKeyId },
    );
  }
  const key = cachedSigningKey(found.secretAccessKey, credential);
  const scope = scopeOf(credential);
  const canonical = canonicalRequest({
    method: input.method,
    path: input.path,
    query: input.query,
    headers: input.headers,
    signedHeaders,
    payloadHash,
    ...(presigned ? { excludeQuery: 'X-Amz-Signature' } : {}),
  });
  const sts = stringToSign(amzDate, scope, sha256Hex(canonical));
  const expected = hmac(key, sts);
  if (!same(expected, signature)) {
    throw new ObjectStoreError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      {
        AWSAccessKeyId: credential.accessKeyId,
        StringToSign: sts,
        CanonicalRequest: canonical,
      },
    );
  }
  const result: AuthResult = { user: found.user, accessKeyId: credential.accessKeyId, payload };
  if (payload === 'sha256') result.sha256 = payloadHash;
  if (payload === 'streaming-signed' || payload === 'streaming-signed-trailer') {
    result.chunkSigning = { key, amzDate, scope, seedSignature: expected.toString('hex') };
  }
  return result;
}
