import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, ListBucketsCommand, paginateListBuckets } from '@aws-sdk/client-s3';
import { client, s3Error, withGateway } from './test-sdk.js';

test('SDK: ListBuckets pages by max-buckets and continuation-token, filtered by prefix and bucket-region', async () => {
  await withGateway(async (g, c) => {
    const names = ['logs-a', 'logs-b', 'logs-c', 'photos', 'zeta'];
    for (const Bucket of [...names].reverse()) await c.send(new CreateBucketCommand({ Bucket }));
    // Another user's bucket is never listed.
    const bob = client(g, await g.createUser('bob'));
    try {
      await bob.send(new CreateBucketCommand({ Bucket: 'logs-bob' }));
    } finally {
      bob.destroy();
    }

    const everything = await c.send(new ListBucketsCommand({}));
    assert.deepEqual(
      everything.Buckets?.map((b) => b.Name),
      names,
    );
    assert.equal(everything.ContinuationToken, undefined);
    assert.ok(everything.Buckets?.every((b) => b.BucketRegion === 'us-east-1'));

    const first = await c.send(new ListBucketsCommand({ MaxBuckets: 2 }));
    assert.deepEqual(
      first.Buckets?.map((b) => b.Name),
      ['logs-a', 'logs-b'],
    );
    assert.ok(first.ContinuationToken);
    const second = await c.send(
      new ListBucketsCommand({ MaxBuckets: 2, ContinuationToken: first.ContinuationToken }),
    );
    assert.deepEqual(
      second.Buckets?.map((b) => b.Name),
      ['logs-c', 'photos'],
    );

    // The SDK's paginator follows the tokens to the end.
    const paged: string[] = [];
    for await (const page of paginateListBuckets({ client: c, pageSize: 2 }, { Prefix: 'logs-' }))
      paged.push(...(page.Buckets ?? []).map((b) => b.Name ?? ''));
    assert.deepEqual(paged, ['logs-a', 'logs-b', 'logs-c']);

    const prefixed = await c.send(new ListBucketsCommand({ Prefix: 'p' }));
    assert.deepEqual(
      prefixed.Buckets?.map((b) => b.Name),
      ['photos'],
    );
    assert.equal(prefixed.Prefix, 'p');
    assert.equal((await c.send(new ListBucketsCommand({ BucketRegion: 'us-east-1' }))).Buckets?.length, 5);
    assert.deepEqual((await c.send(new ListBucketsCommand({ BucketRegion: 'eu-west-1' }))).Buckets ?? [], []);

    for (const MaxBuckets of [0, 10001])
      await s3Error(c.send(new ListBucketsCommand({ MaxBuckets })), 'InvalidArgument', 400);
    await s3Error(
      c.send(new ListBucketsCommand({ ContinuationToken: 'not-a-token' })),
      'InvalidArgument',
      400,
    );
  });
});
