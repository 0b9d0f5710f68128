import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRange, resolveCopyRange } from './range.js';
import { evaluateConditions } from './conditions.js';
import { resolveAddress, routeOperation } from './routes.js';
import { matchCorsRule, parseCorsConfiguration } from './cors.js';
import { parseXml } from './xml.js';
import { bucketNameProblem } from '../engine/validation.js';
import { ObjectStoreError } from '../errors.js';

const code = (c: string) => (e: unknown) => e instanceof ObjectStoreError && e.code === c;

test('ranges resolve like S3: closed, open, suffix, clamped; unsatisfiable is InvalidRange', () => {
  assert.deepEqual(resolveRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(resolveRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(resolveRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(resolveRange('bytes=-1000', 100), { start: 0, end: 99 });
  assert.deepEqual(resolveRange('bytes=50-1000', 100), { start: 50, end: 99 });
  assert.equal(resolveRange('bytes=0-1,5-6', 100), undefined);
  assert.equal(resolveRange('items=0-1', 100), undefined);
  assert.equal(resolveRange('bytes=5-1', 100), undefined);
  assert.throws(() => resolveRange('bytes=100-', 100), code('InvalidRange'));
  assert.throws(() => resolveRange('bytes=-0', 100), code('InvalidRange'));
  assert.deepEqual(resolveCopyRange('bytes=0-4', 10), { start: 0, end: 4 });
  assert.throws(() => resolveCopyRange('bytes=0-10', 10), code('InvalidRange'));
  assert.throws(() => resolveCopyRange('bytes=0-', 10), code('InvalidArgument'));
});

test('conditions: If-Match beats If-Unmodified-Since, If-None-Match beats If-Modified-Since', () => {
  const v = { etag: '"abc"', lastModified: new Date('2026-01-01T00:00:10.500Z') };
  const before = 'Thu, 01 Jan 2026 00:00:00 GMT';
  const after = 'Thu, 01 Jan 2026 00:01:00 GMT';
  assert.equal(evaluateConditions({ ifMatch: '"abc"', ifUnmodifiedSince: before }, v), undefined);
  assert.equal(evaluateConditions({ ifMatch: '"x"' }, v), 412);
  assert.equal(evaluateConditions({ ifUnmodifiedSince: before }, v), 412);
  assert.equal(evaluateConditions({ ifNoneMatch: 'abc' }, v), 304);
  assert.equal(evaluateConditions({ ifNoneMatch: '"x"', ifModifiedSince: after }, v), undefined);
  assert.equal(evaluateConditions({ ifModifiedSince: after }, v), 304);
  assert.equal(evaluateConditions({ ifModifiedSince: 'Thu, 01 Jan 2026 00:00:10 GMT' }, v), 304);
  assert.equal(evaluateConditions({ ifModifiedSince: before }, v), undefined);
});

test('addresses: path style, virtual-hosted style under the base domains', () => {
  const d = ['localhost', 's3.localhost'];
  assert.deepEqual(resolveAddress('127.0.0.1:9000', '/b/k/x', d), { bucket: 'b', key: 'k/x' });
  assert.deepEqual(resolveAddress('127.0.0.1:9000', '/b/', d), { bucket: 'b' });
  assert.deepEqual(resolveAddress('localhost:9000', '/', d), {});
  assert.deepEqual(resolveAddress('b.localhost:9000', '/k', d), { bucket: 'b', key: 'k' });
  assert.deepEqual(resolveAddress('b.s3.localhost', '/', d), { bucket: 'b' });
  assert.deepEqual(resolveAddress('s3.localhost', '/b/k', d), { bucket: 'b', key: 'k' });
  assert.deepEqual(resolveAddress('my.bucket.example.com', '/k', ['example.com']), {
    bucket: 'my.bucket',
    key: 'k',
  });
});

test('operations route by method and subresource', () => {
  const q = (s: string) => new Map(new URLSearchParams(s));
  assert.equal(routeOperation('GET', {}, q(''), false), 'ListBuckets');
  assert.equal(routeOperation('GET', { bucket: 'b' }, q('list-type=2'), false), 'ListObjectsV2');
  assert.equal(routeOperation('GET', { bucket: 'b' }, q('versions'), false), 'ListObjectVersions');
  assert.equal(routeOperation('POST', { bucket: 'b' }, q('delete'), false), 'DeleteObjects');
  assert.equal(
    routeOperation('PUT', { bucket: 'b', key: 'k' }, q('partNumber=1&uploadId=u'), true),
    'UploadPartCopy',
  );
  assert.equal(routeOperation('PUT', { bucket: 'b', key: 'k' }, q('x-id=PutObject'), false), 'PutObject');
  assert.equal(
    routeOperation('DELETE', { bucket: 'b', key: 'k' }, q('uploadId=u'), false),
    'AbortMultipartUpload',
  );
  assert.throws(() => routeOperation('GET', { bucket: 'b' }, q('website'), false), code('NotImplemented'));
  assert.equal(routeOperation('GET', { bucket: 'b' }, q('policy'), false), 'GetBucketPolicy');
  assert.equal(routeOperation('GET', { bucket: 'b' }, q('policyStatus'), false), 'GetBucketPolicyStatus');
  assert.equal(routeOperation('PUT', { bucket: 'b' }, q('acl'), false), 'PutBucketAcl');
  assert.equal(routeOperation('GET', { bucket: 'b', key: 'k' }, q('acl'), false), 'GetObjectAcl');
  assert.equal(
    routeOperation('DELETE', { bucket: 'b' }, q('publicAccessBlock'), false),
    'DeletePublicAccessBlock',
  );
  assert.equal(
    routeOperation('PUT', { bucket: 'b' }, q('ownershipControls'), false),
    'PutBucketOwnershipControls',
  );
  assert.equal(routeOperation('POST', { bucket: 'b' }, q(''), false), 'PostObject');
  assert.equal(routeOperation('POST', { bucket: 'b' }, q('delete'), false), 'DeleteObjects');
  assert.throws(
    () => routeOperation('PATCH', { bucket: 'b', key: 'k' }, q(''), false),
    code('MethodNotAllowed'),
  );
});

test('CORS rules match origin wildcards, methods and requested headers', () => {
  const rules = parseCorsConfiguration(
    parseXml(
      '<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>',
    ),
  );
  assert.ok(matchCorsRule(rules, 'https://app.example.com', 'GET', ['X-Amz-Date']));
  assert.equal(matchCorsRule(rules, 'https://app.example.com', 'PUT'), undefined);
  assert.equal(matchCorsRule(rules, 'https://evil.com', 'GET'), undefined);
  assert.equal(matchCorsRule(rules, 'https://app.example.com', 'GET', ['authorization']), undefined);
  assert.throws(
    () =>
      parseCorsConfiguration(
        parseXml(
          '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>',
        ),
      ),
    code('InvalidRequest'),
  );
});

test('bucket names follow the S3 rules', () => {
  for (const ok of ['abc', 'my-bucket.1', 'a'.repeat(63)]) assert.equal(bucketNameProblem(ok), undefined, ok);
  for (const bad of ['ab', 'Abc', 'a_b', '-ab', 'ab-', 'a..b', '192.168.1.1', 'xn--ab', 'a'.repeat(64)])
    assert.ok(bucketNameProblem(bad), bad);
});
