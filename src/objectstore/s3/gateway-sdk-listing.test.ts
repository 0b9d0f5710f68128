import { test } from 'node:test';
import { canonicalId } from './owner-id.js';
import assert from 'node:assert/strict';
import {
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  GetBucketVersioningCommand,
  PutObjectTaggingCommand,
  GetObjectTaggingCommand,
  DeleteObjectTaggingCommand,
  PutBucketCorsCommand,
  GetBucketCorsCommand,
  DeleteBucketCorsCommand,
} from '@aws-sdk/client-s3';
import { s3Error, withGateway } from './test-sdk.js';
import { presignUrl } from './sigv4-signer.js';
import { rawRequest } from './test-http.js';

test('SDK: listings v1 and v2 page with delimiters, tokens, markers and URL encoding', async () => {
  await withGateway(async (g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'list' }));
    const keys = ['a/1', 'a/2', 'b/1', 'c', 'd e', 'f+g', 'z/x/y'];
    for (const k of keys) await c.send(new PutObjectCommand({ Bucket: 'list', Key: k, Body: k }));
    const all: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await c.send(
        new ListObjectsV2Command({
          Bucket: 'list',
          MaxKeys: 2,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      all.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
      assert.equal(page.KeyCount, page.Contents?.length ?? 0);
      if (!page.IsTruncated) break;
      token = page.NextContinuationToken;
    }
    assert.deepEqual(all, keys);
    const delim = await c.send(new ListObjectsV2Command({ Bucket: 'list', Delimiter: '/' }));
    assert.deepEqual(
      delim.CommonPrefixes?.map((p) => p.Prefix),
      ['a/', 'b/', 'z/'],
    );
    assert.deepEqual(
      delim.Contents?.map((o) => o.Key),
      ['c', 'd e', 'f+g'],
    );
    const paged: string[] = [];
    token = undefined;
    for (let i = 0; i < 10; i++) {
      const page: ListObjectsV2CommandOutput = await c.send(
        new ListObjectsV2Command({
          Bucket: 'list',
          Delimiter: '/',
          MaxKeys: 2,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      paged.push(
        ...(page.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''),
        ...(page.Contents ?? []).map((o) => o.Key ?? ''),
      );
      if (!page.IsTruncated) break;
      token = page.NextContinuationToken;
    }
    assert.deepEqual(paged.sort(), ['a/', 'b/', 'c', 'd e', 'f+g', 'z/'].sort());
    const after = await c.send(
      new ListObjectsV2Command({ Bucket: 'list', StartAfter: 'c', Prefix: '', FetchOwner: true }),
    );
    assert.deepEqual(
      after.Contents?.map((o) => o.Key),
      ['d e', 'f+g', 'z/x/y'],
    );
    assert.equal(after.Contents?.[0]?.Owner?.ID, canonicalId(g.key.user));
    assert.equal(after.Contents?.[0]?.Owner?.DisplayName, g.key.user);
    const enc = await c.send(new ListObjectsV2Command({ Bucket: 'list', EncodingType: 'url', Prefix: 'd' }));
    assert.deepEqual(
      enc.Contents?.map((o) => o.Key),
      ['d%20e'],
    );
    const v1 = await c.send(new ListObjectsCommand({ Bucket: 'list', Delimiter: '/', MaxKeys: 2 }));
    assert.equal(v1.IsTruncated, true);
    assert.equal(v1.NextMarker, 'b/');
    const v1b = await c.send(new ListObjectsCommand({ Bucket: 'list', Marker: 'c' }));
    assert.deepEqual(
      v1b.Contents?.map((o) => o.Key),
      ['d e', 'f+g', 'z/x/y'],
    );
    await s3Error(
      c.send(new ListObjectsV2Command({ Bucket: 'list', ContinuationToken: 'garbage' })),
      'InvalidArgument',
      400,
    );
  });
});

test('SDK: versioning, ListObjectVersions, tagging and DeleteObjects', async () => {
  await withGateway(async (_g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'ver' }));
    assert.equal((await c.send(new GetBucketVersioningCommand({ Bucket: 'ver' }))).Status, undefined);
    await c.send(new PutObjectCommand({ Bucket: 'ver', Key: 'plain', Body: '1' }));
    const unversioned = await c.send(new ListObjectVersionsCommand({ Bucket: 'ver' }));
    assert.deepEqual(
      unversioned.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest]),
      [['plain', 'null', true]],
    );
    await c.send(
      new PutBucketVersioningCommand({ Bucket: 'ver', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    assert.equal((await c.send(new GetBucketVersioningCommand({ Bucket: 'ver' }))).Status, 'Enabled');
    const v1 = await c.send(new PutObjectCommand({ Bucket: 'ver', Key: 'doc', Body: 'one' }));
    const v2 = await c.send(new PutObjectCommand({ Bucket: 'ver', Key: 'doc', Body: 'two' }));
    assert.ok(v1.VersionId && v2.VersionId && v1.VersionId !== v2.VersionId);
    const old = await c.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: v1.VersionId }));
    assert.equal(await old.Body?.transformToString(), 'one');
    const del = await c.send(new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc' }));
    assert.equal(del.DeleteMarker, true);
    const versions = await c.send(new ListObjectVersionsCommand({ Bucket: 'ver', Prefix: 'doc' }));
    assert.equal(versions.Versions?.length, 2);
    assert.equal(versions.DeleteMarkers?.length, 1);
    assert.equal(versions.DeleteMarkers?.[0]?.IsLatest, true);
    await s3Error(c.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc' })), 'NoSuchKey', 404);

    await c.send(
      new PutObjectTaggingCommand({
        Bucket: 'ver',
        Key: 'plain',
        Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] },
      }),
    );
    const tags = await c.send(new GetObjectTaggingCommand({ Bucket: 'ver', Key: 'plain' }));
    assert.deepEqual(tags.TagSet, [{ Key: 'k', Value: 'v' }]);
    await c.send(new DeleteObjectTaggingCommand({ Bucket: 'ver', Key: 'plain' }));
    assert.deepEqual(
      (await c.send(new GetObjectTaggingCommand({ Bucket: 'ver', Key: 'plain' }))).TagSet ?? [],
      [],
    );

    // Clean up the way conformance suites do: every version and marker through DeleteObjects.
    const everything = await c.send(new ListObjectVersionsCommand({ Bucket: 'ver' }));
    const objects = [...(everything.Versions ?? []), ...(everything.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key ?? '',
      VersionId: v.VersionId ?? '',
    }));
    const quiet = await c.send(
      new DeleteObjectsCommand({ Bucket: 'ver', Delete: { Objects: objects, Quiet: true } }),
    );
    assert.equal(quiet.Deleted, undefined);
    assert.equal(quiet.Errors, undefined);
    const loud = await c.send(
      new DeleteObjectsCommand({ Bucket: 'ver', Delete: { Objects: [{ Key: 'gone' }] } }),
    );
    assert.equal(loud.Deleted?.[0]?.Key, 'gone');
    const left = await c.send(new ListObjectVersionsCommand({ Bucket: 'ver' }));
    assert.equal(
      (left.Versions?.length ?? 0) + (left.DeleteMarkers?.length ?? 0),
      1,
      'only the marker DeleteObjects made for "gone"',
    );
  });
});

test('SDK: CORS configuration, preflight and response headers', async () => {
  await withGateway(async (g, c) => {
    const ca = g.ca !== undefined ? { ca: g.ca } : {};
    await c.send(new CreateBucketCommand({ Bucket: 'web' }));
    await s3Error(c.send(new GetBucketCorsCommand({ Bucket: 'web' })), 'NoSuchCORSConfiguration', 404);
    await c.send(
      new PutBucketCorsCommand({
        Bucket: 'web',
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: ['https://app.example'],
              AllowedMethods: ['GET', 'PUT'],
              AllowedHeaders: ['*'],
              ExposeHeaders: ['ETag'],
              MaxAgeSeconds: 600,
            },
          ],
        },
      }),
    );
    const cors = await c.send(new GetBucketCorsCommand({ Bucket: 'web' }));
    assert.deepEqual(cors.CORSRules?.[0]?.AllowedMethods, ['GET', 'PUT']);
    const pre = await rawRequest(`${g.url}/web/x`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type,x-amz-date',
      },
      ...ca,
    });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(pre.headers['access-control-max-age'], '600');
    const denied = await rawRequest(`${g.url}/web/x`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      ...ca,
    });
    assert.equal(denied.status, 403);
    assert.match(denied.body.toString(), /<Code>AccessForbidden<\/Code>/);
    await c.send(new PutObjectCommand({ Bucket: 'web', Key: 'x', Body: 'y' }));
    c.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers.origin = 'https://app.example';
        return next(args);
      },
      { step: 'build', name: 'origin' },
    );
    const got = await c.send(new GetObjectCommand({ Bucket: 'web', Key: 'x' }));
    await got.Body?.transformToString();
    const seen = await rawRequest(presignUrl({ method: 'GET', url: `${g.url}/web/x` }, g.key), {
      headers: { origin: 'https://app.example' },
      ...ca,
    });
    assert.equal(seen.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(seen.headers['access-control-expose-headers'], 'ETag');
    assert.equal(seen.body.toString(), 'y');
    const anonymous = await rawRequest(`${g.url}/web/x`, {
      headers: { origin: 'https://app.example' },
      ...ca,
    });
    assert.equal(anonymous.status, 403);
    assert.equal(
      anonymous.headers['access-control-allow-origin'],
      'https://app.example',
      'errors carry CORS headers',
    );
    c.middlewareStack.remove('origin');
    await c.send(new DeleteBucketCorsCommand({ Bucket: 'web' }));
    await s3Error(c.send(new GetBucketCorsCommand({ Bucket: 'web' })), 'NoSuchCORSConfiguration', 404);
  });
});
