import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { s3Error, withGateway } from './test-sdk.js';
import { canonicalId } from './owner-id.js';

test('SDK: ListMultipartUploads URL-encodes keys, markers and the prefix with encoding-type=url', async () => {
  await withGateway(async (_g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'mpu-enc' }));
    for (const Key of ['dir/a b+ü', 'dir/c&d'])
      await c.send(new CreateMultipartUploadCommand({ Bucket: 'mpu-enc', Key }));
    const first = await c.send(
      new ListMultipartUploadsCommand({
        Bucket: 'mpu-enc',
        EncodingType: 'url',
        Prefix: 'dir/a b',
        MaxUploads: 1,
      }),
    );
    assert.equal(first.EncodingType, 'url');
    assert.equal(first.Prefix, 'dir/a%20b');
    assert.deepEqual(
      first.Uploads?.map((u) => u.Key),
      ['dir/a%20b%2B%C3%BC'],
    );
    const all = await c.send(
      new ListMultipartUploadsCommand({
        Bucket: 'mpu-enc',
        EncodingType: 'url',
        MaxUploads: 1,
        KeyMarker: 'dir/a b+ü',
      }),
    );
    assert.equal(all.KeyMarker, 'dir/a%20b%2B%C3%BC');
    assert.deepEqual(
      all.Uploads?.map((u) => u.Key),
      ['dir/c%26d'],
    );
    const plain = await c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu-enc' }));
    assert.deepEqual(
      plain.Uploads?.map((u) => u.Key),
      ['dir/a b+ü', 'dir/c&d'],
    );
    await s3Error(
      c.send(new ListMultipartUploadsCommand({ Bucket: 'mpu-enc', EncodingType: 'base64' as 'url' })),
      'InvalidArgument',
      400,
    );
  });
});

test('SDK: listing edge cases: empty delimiter, empty continuation token, fetch-owner', async () => {
  await withGateway(async (_g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'edges' }));
    for (const Key of ['a/1', 'a/2', 'b'])
      await c.send(new PutObjectCommand({ Bucket: 'edges', Key, Body: Key }));
    // An empty delimiter groups nothing.
    const flat = await c.send(new ListObjectsV2Command({ Bucket: 'edges', Delimiter: '' }));
    assert.deepEqual(
      flat.Contents?.map((o) => o.Key),
      ['a/1', 'a/2', 'b'],
    );
    assert.equal(flat.CommonPrefixes, undefined);
    const v1 = await c.send(new ListObjectsCommand({ Bucket: 'edges', Delimiter: '' }));
    assert.equal(v1.Contents?.length, 3);
    // An empty continuation token is not a token.
    await s3Error(
      c.send(new ListObjectsV2Command({ Bucket: 'edges', ContinuationToken: '' })),
      'InvalidArgument',
      400,
    );
    // Owners only when asked for (v2); always in v1.
    const without = await c.send(new ListObjectsV2Command({ Bucket: 'edges' }));
    assert.ok(without.Contents?.every((o) => o.Owner === undefined));
    const withOwner = await c.send(new ListObjectsV2Command({ Bucket: 'edges', FetchOwner: true }));
    // AWS's shape: a 64-hex canonical id and the user's name as the display name.
    assert.ok(
      withOwner.Contents?.every(
        (o) => o.Owner?.ID === canonicalId('admin') && o.Owner.DisplayName === 'admin',
      ),
    );
    assert.ok(v1.Contents?.every((o) => o.Owner?.ID === canonicalId('admin')));
    assert.match(canonicalId('admin'), /^[0-9a-f]{64}$/);
  });
});
