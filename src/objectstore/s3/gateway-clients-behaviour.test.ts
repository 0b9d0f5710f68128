import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startUpGateway } from '../../cli/testing.js';
import { canonicalId } from './owner-id.js';
import { errorCode, rawRequest } from './test-http.js';
import { awsCliFor } from './test-aws-cli.js';

test('aws cli: recreate, location, expected owner, fetch-owner, presign limits, versioned delete-objects, rb with uploads', async (t) => {
  const g = await startUpGateway();
  try {
    const aws = awsCliFor(t, g);
    if (aws === undefined) return;
    const { cli, fails } = aws;
    const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await cli(...args)) as T;

    // Recreating your own bucket in us-east-1 succeeds and keeps its ACL, as on AWS.
    await cli('s3api', 'create-bucket', '--bucket', 'cli-more');
    await cli('s3api', 'put-bucket-acl', '--bucket', 'cli-more', '--acl', 'public-read');
    await cli('s3api', 'create-bucket', '--bucket', 'cli-more');
    const acl = await json<{ Grants: { Grantee: { URI?: string }; Permission: string }[] }>(
      's3api',
      'get-bucket-acl',
      '--bucket',
      'cli-more',
    );
    assert.ok(
      acl.Grants.some((gr) => gr.Grantee.URI?.endsWith('/global/AllUsers') && gr.Permission === 'READ'),
      JSON.stringify(acl),
    );
    const location = await json<{ LocationConstraint: string | null }>(
      's3api',
      'get-bucket-location',
      '--bucket',
      'cli-more',
    );
    assert.ok(location.LocationConstraint === null || location.LocationConstraint === 'us-east-1');

    // x-amz-expected-bucket-owner: the owner's canonical id passes, another account's is refused.
    const owner = canonicalId(g.key.user);
    await cli('s3api', 'head-bucket', '--bucket', 'cli-more', '--expected-bucket-owner', owner);
    await fails(
      '403',
      's3api',
      'head-bucket',
      '--bucket',
      'cli-more',
      '--expected-bucket-owner',
      '123456789012',
    );
    await fails(
      'AccessDenied',
      's3api',
      'list-objects-v2',
      '--bucket',
      'cli-more',
      '--expected-bucket-owner',
      '123456789012',
    );

    // fetch-owner, and encoding-type=url asked by hand (the CLI decodes only what it asked for itself).
    const file = join(g.dir, 'body.txt');
    await writeFile(file, 'hello');
    await cli('s3api', 'put-object', '--bucket', 'cli-more', '--key', 'a key/with+plus', '--body', file);
    const plain = await json<{ Contents: { Key: string; Owner?: { ID: string } }[] }>(
      's3api',
      'list-objects-v2',
      '--bucket',
      'cli-more',
    );
    assert.equal(plain.Contents[0]?.Key, 'a key/with+plus');
    assert.equal(plain.Contents[0]?.Owner, undefined, 'no owner unless fetch-owner');
    const owned = await json<{ Contents: { Key: string; Owner?: { ID: string } }[] }>(
      's3api',
      'list-objects-v2',
      '--bucket',
      'cli-more',
      '--fetch-owner',
    );
    assert.equal(owned.Contents[0]?.Owner?.ID, owner);
    const grouped = await json<{ CommonPrefixes: { Prefix: string }[] }>(
      's3api',
      'list-objects-v2',
      '--bucket',
      'cli-more',
      '--delimiter',
      '/',
      '--encoding-type',
      'url',
    );
    assert.deepEqual(grouped.CommonPrefixes, [{ Prefix: 'a%20key/' }]);

    // Presigned URLs: one that works, and an expiry beyond seven days refused with AWS's code.
    const url = (await cli('s3', 'presign', 's3://cli-more/a key/with+plus', '--expires-in', '600')).trim();
    const ca = g.ca !== undefined ? { ca: g.ca } : {};
    const got = await rawRequest(url, ca);
    assert.equal(got.status, 200);
    assert.equal(got.body.toString(), 'hello');
    const tooLong = (
      await cli('s3', 'presign', 's3://cli-more/a key/with+plus', '--expires-in', '604801')
    ).trim();
    const refused = await rawRequest(tooLong, ca);
    assert.equal(refused.status, 400);
    assert.equal(errorCode(refused.body), 'AuthorizationQueryParametersError');

    // delete-objects on a versioned bucket: one delete marker per key, every version kept.
    await cli(
      's3api',
      'put-bucket-versioning',
      '--bucket',
      'cli-more',
      '--versioning-configuration',
      'Status=Enabled',
    );
    for (const key of ['v/1', 'v/2', 'v/1'])
      await cli('s3api', 'put-object', '--bucket', 'cli-more', '--key', key, '--body', file);
    const deleted = await json<{ Deleted: { Key: string; DeleteMarker: boolean }[] }>(
      's3api',
      'delete-objects',
      '--bucket',
      'cli-more',
      '--delete',
      'Objects=[{Key=v/1},{Key=v/2}]',
    );
    assert.deepEqual(deleted.Deleted.map((d) => [d.Key, d.DeleteMarker]).sort(), [
      ['v/1', true],
      ['v/2', true],
    ]);
    const versions = await json<{
      Versions: { Key: string }[];
      DeleteMarkers: { Key: string; IsLatest: boolean }[];
    }>('s3api', 'list-object-versions', '--bucket', 'cli-more', '--prefix', 'v/');
    assert.deepEqual(versions.Versions.map((v) => v.Key).sort(), ['v/1', 'v/1', 'v/2']);
    assert.deepEqual(versions.DeleteMarkers.map((d) => [d.Key, d.IsLatest]).sort(), [
      ['v/1', true],
      ['v/2', true],
    ]);

    // A bucket holding only an incomplete multipart upload is removed, the upload with it.
    await cli('s3', 'mb', 's3://cli-uploads');
    await cli('s3api', 'create-multipart-upload', '--bucket', 'cli-uploads', '--key', 'half');
    await cli('s3', 'rb', 's3://cli-uploads');
    const buckets = await json<{ Buckets: { Name: string }[] }>('s3api', 'list-buckets');
    assert.deepEqual(
      buckets.Buckets.map((b) => b.Name),
      ['cli-more'],
    );
  } finally {
    await g.close();
  }
});
