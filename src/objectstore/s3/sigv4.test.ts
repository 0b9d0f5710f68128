import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalRequest,
  headerMap,
  parseAuthorization,
  parseQuery,
  uriEncode,
  scopeOf,
  parseCredential,
} from './sigv4.js';
import { signCanonical, signingKey, presignUrl, signRequest } from './sigv4-signer.js';
import { ObjectStoreError } from '../errors.js';

// The examples of the AWS S3 documentation, "Signature Calculations for the Authorization Header".
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const cred = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', date: '20130524', region: 'us-east-1', service: 's3' };
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('the GET Object example of the AWS documentation signs to its published signature', () => {
  const headers = headerMap([
    'Host',
    'examplebucket.s3.amazonaws.com',
    'Range',
    'bytes=0-9',
    'x-amz-content-sha256',
    EMPTY,
    'x-amz-date',
    '20130524T000000Z',
  ]);
  const sig = signCanonical(signingKey(SECRET, cred), '20130524T000000Z', scopeOf(cred), {
    method: 'GET',
    path: '/test.txt',
    query: [],
    headers,
    signedHeaders: ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'],
    payloadHash: EMPTY,
  });
  assert.equal(sig, 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
});

test('the presigned URL example of the AWS documentation signs to its published signature', () => {
  const query = parseQuery(
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host',
  );
  const sig = signCanonical(signingKey(SECRET, cred), '20130524T000000Z', scopeOf(cred), {
    method: 'GET',
    path: '/test.txt',
    query,
    headers: headerMap(['Host', 'examplebucket.s3.amazonaws.com']),
    signedHeaders: ['host'],
    payloadHash: 'UNSIGNED-PAYLOAD',
  });
  assert.equal(sig, 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
});

test('the canonical request encodes each path segment once and sorts the query', () => {
  const text = canonicalRequest({
    method: 'GET',
    path: '/b/a key+x/ü*',
    query: [
      ['prefix', 'a b'],
      ['list-type', '2'],
      ['delimiter', '/'],
    ],
    headers: headerMap(['Host', 'h', 'X-Amz-Date', ' 1  2 ']),
    signedHeaders: ['host', 'x-amz-date'],
    payloadHash: 'UNSIGNED-PAYLOAD',
  });
  assert.equal(
    text,
    'GET\n/b/a%20key%2Bx/%C3%BC%2A\ndelimiter=%2F&list-type=2&prefix=a%20b\nhost:h\nx-amz-date:1 2\n\nhost;x-amz-date\nUNSIGNED-PAYLOAD',
  );
  assert.equal(uriEncode("!'()~", false), '%21%27%28%29~');
});

test('malformed Authorization headers are AuthorizationHeaderMalformed', () => {
  const good =
    'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=' +
    'a'.repeat(64);
  assert.deepEqual(parseAuthorization(good).signedHeaders, ['host', 'x-amz-date']);
  for (const bad of [
    'AWS4-HMAC-SHA256 Credential=x',
    'Bearer abc',
    good.replace('aws4_request', 'x'),
    good.replace('a'.repeat(64), 'zz'),
  ]) {
    assert.throws(
      () => parseAuthorization(bad),
      (e: unknown) => e instanceof ObjectStoreError && e.code === 'AuthorizationHeaderMalformed',
    );
  }
  assert.equal(parseCredential('a/b/c'), undefined);
});

test('signRequest and presignUrl produce what the verifier recomputes', () => {
  const headers = signRequest(
    { method: 'PUT', url: 'http://127.0.0.1:9000/b/k%20x?tagging', body: 'hi' },
    { accessKeyId: 'AK', secretAccessKey: 'S' },
    { now: Date.UTC(2026, 0, 1) },
  );
  assert.match(
    headers.authorization ?? '',
    /^AWS4-HMAC-SHA256 Credential=AK\/20260101\/us-east-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
  );
  const url = presignUrl(
    { method: 'GET', url: 'http://127.0.0.1:9000/b/k' },
    { accessKeyId: 'AK', secretAccessKey: 'S' },
    { now: Date.UTC(2026, 0, 1), expiresSeconds: 60 },
  );
  assert.match(url, /X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=[0-9a-f]{64}$/);
});
