import { ObjectStoreError } from '../errors.js';

/**
 * AWS Signature Version 4 canonicalization for S3, as pure string functions: no hashing and no
 * I/O happen here, so the rules (which are where S3 servers and clients disagree) are tested with
 * plain values. `sigv4-signer.ts` adds the HMAC/SHA-256 steps.
 */

/** The payload hash values S3 accepts in x-amz-content-sha256 besides a hex SHA-256. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** The SHA-256 of the empty string, used by chunk signatures. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const UNRESERVED_OR_SLASH = /^[A-Za-z0-9\-._~/]*$/;

/**
 * URI-encodes a string the way SigV4 wants: every byte except the unreserved characters
 * `A-Z a-z 0-9 - _ . ~` becomes `%XX` (upper-case hex); `/` is kept when `keepSlash` (paths).
 */
export function uriEncode(value: string, keepSlash: boolean): string {
  // Most paths need no escaping at all: one test instead of encoding and two replacements.
  if ((keepSlash ? UNRESERVED_OR_SLASH : UNRESERVED).test(value)) return value;
  let out = encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
  if (keepSlash) out = out.replace(/%2F/g, '/');
  return out;
}

/**
 * Decodes `%XX` escapes (UTF-8) without treating `+` as a space, as S3 does for paths and
 * SigV4 does for queries; a malformed escape or invalid UTF-8 is an `InvalidURI` error.
 */
export function percentDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new ObjectStoreError(
      'InvalidURI',
      `Couldn't parse the specified URI: ${JSON.stringify(value)} has a bad escape`,
    );
  }
}

/** Splits a raw query string into decoded name/value pairs in their original order. */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (rawQuery === '') return pairs;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([percentDecode(name), percentDecode(value)]);
  }
  return pairs;
}

/** The canonical query string: encoded pairs sorted by name then value, minus `exclude`. */
export function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>, exclude?: string): string {
  const encoded = pairs
    .filter(([name]) => name !== exclude)
    .map(([name, value]) => [uriEncode(name, false), uriEncode(value, false)] as const);
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return encoded.map(([n, v]) => `${n}=${v}`).join('&');
}

/** Trims a header value and collapses runs of spaces, as the canonical headers require. */
export function canonicalHeaderValue(value: string): string {
  const trimmed = value.trim();
  // Only a run of whitespace or a whitespace other than a plain space needs the replacement.
  return /\s\s|[^\S ]/.test(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed;
}

/**
 * Collects request headers from Node's `rawHeaders` (name, value, name, value …) into lowercase
 * names with repeated headers joined by `,`, the form SigV4 signs.
 */
export function headerMap(rawHeaders: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = canonicalHeaderValue(rawHeaders[i + 1] ?? '');
    const prev = map.get(name);
    map.set(name, prev === undefined ? value : `${prev},${value}`);
  }
  return map;
}

/** The parts of a request that SigV4 signs. */
export interface CanonicalInput {
  method: string;
  /** The decoded path, e.g. `/bucket/a key`. */
  path: string;
  query: ReadonlyArray<readonly [string, string]>;
  headers: ReadonlyMap<string, string>;
  signedHeaders: readonly string[];
  payloadHash: string;
  /** Leave out of the query (X-Amz-Signature for presigned URLs). */
  excludeQuery?: string;
}

/** The canonical request string of SigV4 (S3 flavour: the path is encoded once, not normalized). */
export function canonicalRequest(input: CanonicalInput): string {
  const headers = input.signedHeaders.map((h) => `${h}:${input.headers.get(h) ?? ''}\n`).join('');
  return [
    input.method,
    uriEncode(input.path, true),
    canonicalQuery(input.query, input.excludeQuery),
    headers,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

/** The string to sign of a request, given the hex SHA-256 of its canonical request. */
export function stringToSign(amzDate: string, scope: string, canonicalRequestSha256: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${canonicalRequestSha256}`;
}

/** The string to sign of one aws-chunked chunk, chained from the previous signature. */
export function chunkStringToSign(
  amzDate: string,
  scope: string,
  previousSignature: string,
  chunkSha256: string,
): string {
  return `${ALGORITHM}-PAYLOAD\n${amzDate}\n${scope}\n${previousSignature}\n${EMPTY_SHA256}\n${chunkSha256}`;
}

/** The string to sign of the trailing headers of an aws-chunked body. */
export function trailerStringToSign(
  amzDate: string,
  scope: string,
  previousSignature: string,
  trailerSha256: string,
): string {
  return `${ALGORITHM}-TRAILER\n${amzDate}\n${scope}\n${previousSignature}\n${trailerSha256}`;
}

/** The credential scope `date/region/service/aws4_request`. */
export interface Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

/** Parses `AKID/20260101/us-east-1/s3/aws4_request`; returns undefined when malformed. */
export function parseCredential(value: string): Credential | undefined {
  const parts = value.split('/');
  if (parts.length !== 5) return undefined;
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (accessKeyId === '' || !/^\d{8}$/.test(date) || region === '' || terminator !== 'aws4_request') {
    return undefined;
  }
  return { accessKeyId, date, region, service };
}

/** The scope string of a credential. */
export function scopeOf(c: Credential): string {
  return `${c.date}/${c.region}/${c.service}/aws4_request`;
}

/** A parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
export interface AuthorizationHeader {
  credential: Credential;
  signedHeaders: string[];
  signature: string;
}

/** Parses an Authorization header; anything off is `AuthorizationHeaderMalformed`. */
export function parseAuthorization(value: string): AuthorizationHeader {
  const malformed = (why: string): ObjectStoreError =>
    new ObjectStoreError('AuthorizationHeaderMalformed', `The authorization header is malformed; ${why}`);
  if (!value.startsWith(ALGORITHM + ' ')) {
    if (value.startsWith('AWS '))
      throw new ObjectStoreError(
        'InvalidRequest',
        'Signature Version 2 is not supported; use AWS4-HMAC-SHA256',
      );
    throw malformed(`the algorithm must be ${ALGORITHM}`);
  }
  // Comma-separated `name=value` fields (the last of a repeated name wins), scanned in place.
  let cred: string | undefined;
  let signed: string | undefined;
  let signature: string | undefined;
  for (let start = ALGORITHM.length + 1; start <= value.length;) {
    let comma = value.indexOf(',', start);
    if (comma < 0) comma = value.length;
    const eq = value.indexOf('=', start);
    if (eq >= 0 && eq < comma) {
      const name = value.slice(start, eq).trim();
      const field = value.slice(eq + 1, comma).trim();
      if (name === 'Credential') cred = field;
      else if (name === 'SignedHeaders') signed = field;
      else if (name === 'Signature') signature = field;
    }
    start = comma + 1;
  }
  if (cred === undefined) throw malformed('the Credential is missing');
  if (signed === undefined || signed === '') throw malformed('SignedHeaders is missing');
  if (signature === undefined || !/^[0-9a-f]{64}$/.test(signature))
    throw malformed('the Signature is missing or not 64 hex digits');
  const credential = parseCredential(cred);
  if (credential === undefined)
    throw malformed(`the Credential ${JSON.stringify(cred)} is not KEY/DATE/REGION/SERVICE/aws4_request`);
  return { credential, signedHeaders: signed.split(';').map((h) => h.toLowerCase()), signature };
}

/** Parses an ISO 8601 basic timestamp `20260101T120000Z` into epoch milliseconds. */
export function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms;
}

/** Formats epoch milliseconds as `20260101T120000Z`. */
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
