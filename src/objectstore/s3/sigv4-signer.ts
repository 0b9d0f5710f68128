import { createHash, createHmac, hash } from 'node:crypto';
import {
  ALGORITHM,
  UNSIGNED_PAYLOAD,
  canonicalRequest,
  chunkStringToSign,
  formatAmzDate,
  headerMap,
  parseQuery,
  percentDecode,
  scopeOf,
  stringToSign,
  trailerStringToSign,
  uriEncode,
  type CanonicalInput,
  type Credential,
} from './sigv4.js';

/** Hex SHA-256 of a string or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  // crypto.hash (Node 20.12+) is the one-shot form: no Hash object per call.
  return typeof hash === 'function'
    ? hash('sha256', data, 'hex')
    : createHash('sha256').update(data).digest('hex');
}

/** HMAC-SHA256 as raw bytes. */
export function hmac(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** The SigV4 signing key for a secret and scope: HMAC chain over date, region, service. */
export function signingKey(secretAccessKey: string, c: Credential): Buffer {
  const kDate = hmac('AWS4' + secretAccessKey, c.date);
  const kRegion = hmac(kDate, c.region);
  const kService = hmac(kRegion, c.service);
  return hmac(kService, 'aws4_request');
}

/** The hex signature of a canonical request under a signing key. */
export function signCanonical(
  key: Uint8Array,
  amzDate: string,
  scope: string,
  input: CanonicalInput,
): string {
  const sts = stringToSign(amzDate, scope, sha256Hex(canonicalRequest(input)));
  return hmac(key, sts).toString('hex');
}

/** The hex signature of one aws-chunked chunk given its data's hex SHA-256. */
export function signChunk(
  key: Uint8Array,
  amzDate: string,
  scope: string,
  previous: string,
  chunkSha256: string,
): string {
  return hmac(key, chunkStringToSign(amzDate, scope, previous, chunkSha256)).toString('hex');
}

/** The hex signature of the trailer block (`name:value\n` lines) of an aws-chunked body. */
export function signTrailer(
  key: Uint8Array,
  amzDate: string,
  scope: string,
  previous: string,
  trailer: string,
): string {
  return hmac(key, trailerStringToSign(amzDate, scope, previous, sha256Hex(trailer))).toString('hex');
}

/** What a client needs to sign requests. */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
}

function splitUrl(url: URL): { path: string; query: Array<[string, string]> } {
  return { path: percentDecode(url.pathname), query: parseQuery(url.search.replace(/^\?/, '')) };
}

/** The request signRequest and RequestSigner sign. */
export interface SignableRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  payloadHash?: string;
}

function signWith(
  request: SignableRequest,
  creds: SigningCredentials,
  now: number,
  keyOf: (c: Credential) => Buffer,
): Record<string, string> {
  const url = new URL(request.url);
  const amzDate = formatAmzDate(now);
  const c: Credential = {
    accessKeyId: creds.accessKeyId,
    date: amzDate.slice(0, 8),
    region: creds.region ?? 'us-east-1',
    service: 's3',
  };
  const payloadHash =
    request.payloadHash ?? (request.body === undefined ? UNSIGNED_PAYLOAD : sha256Hex(request.body));
  const headers: Record<string, string> = {
    ...request.headers,
    host: url.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': payloadHash,
  };
  const raw = Object.entries(headers).flat();
  const signedHeaders = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .sort();
  const { path, query } = splitUrl(url);
  const scope = scopeOf(c);
  const signature = signCanonical(keyOf(c), amzDate, scope, {
    method: request.method,
    path,
    query,
    headers: headerMap(raw),
    signedHeaders,
    payloadHash,
  });
  headers.authorization = `${ALGORITHM} Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return headers;
}

/**
 * Signs a request as an S3 client would (Authorization header), for benchmarks, tests and the
 * CLI: returns the headers to send, including host, x-amz-date and x-amz-content-sha256.
 * `payloadHash` defaults to the SHA-256 of `body` (or UNSIGNED-PAYLOAD when body is undefined).
 */
export function signRequest(
  request: SignableRequest,
  creds: SigningCredentials,
  options: { now?: number } = {},
): Record<string, string> {
  return signWith(request, creds, options.now ?? Date.now(), (c) => signingKey(creds.secretAccessKey, c));
}

/**
 * A client's signer for many requests with one key pair: signs exactly as `signRequest` does
 * (every request gets its own timestamp and full signature) but derives the signing key once
 * per date and region, as AWS SDKs do, instead of four HMACs per request.
 */
export class RequestSigner {
  private keyScope = '';
  private key: Buffer | undefined;

  constructor(private readonly creds: SigningCredentials) {}

  /** The headers to send with `request` (see signRequest). */
  sign(request: SignableRequest, options: { now?: number } = {}): Record<string, string> {
    return signWith(request, this.creds, options.now ?? Date.now(), (c) => {
      const scope = `${c.date}/${c.region}`;
      if (this.key === undefined || this.keyScope !== scope) {
        this.key = signingKey(this.creds.secretAccessKey, c);
        this.keyScope = scope;
      }
      return this.key;
    });
  }
}

/** Presigns a URL (query-string authentication, UNSIGNED-PAYLOAD) valid for `expiresSeconds`. */
export function presignUrl(
  request: { method: string; url: string },
  creds: SigningCredentials,
  options: { now?: number; expiresSeconds?: number } = {},
): string {
  const url = new URL(request.url);
  const amzDate = formatAmzDate(options.now ?? Date.now());
  const c: Credential = {
    accessKeyId: creds.accessKeyId,
    date: amzDate.slice(0, 8),
    region: creds.region ?? 'us-east-1',
    service: 's3',
  };
  const scope = scopeOf(c);
  url.searchParams.set('X-Amz-Algorithm', ALGORITHM);
  url.searchParams.set('X-Amz-Credential', `${creds.accessKeyId}/${scope}`);
  url.searchParams.set('X-Amz-Date', amzDate);
  url.searchParams.set('X-Amz-Expires', String(options.expiresSeconds ?? 900));
  url.searchParams.set('X-Amz-SignedHeaders', 'host');
  const { path, query } = splitUrl(url);
  const signature = signCanonical(signingKey(creds.secretAccessKey, c), amzDate, scope, {
    method: request.method,
    path,
    query,
    headers: new Map([['host', url.host]]),
    signedHeaders: ['host'],
    payloadHash: UNSIGNED_PAYLOAD,
  });
  const sep = url.search === '' ? '?' : '&';
  return `${url.origin}${url.pathname
    .split('/')
    .map((s) => uriEncode(percentDecode(s), false))
    .join('/')}${url.search}${sep}X-Amz-Signature=${signature}`;
}
