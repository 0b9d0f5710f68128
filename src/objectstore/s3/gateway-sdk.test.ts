import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  GetBucketLocationCommand,
  DeleteBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  CopyObjectCommand,
  ListObjectsV2Command,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { client, s3Error, withGateway } from './test-sdk.js';
import { checksumOf } from './checksums.js';

test('SDK: buckets are created, listed, located, owned and deleted', async () => {
  await withGateway(async (g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'photos' }));
    await c.send(new HeadBucketCommand({ Bucket: 'photos' }));
    // us-east-1: re-creating one's own bucket answers 200 (gateway-create-bucket.test.ts: other regions).
    await c.send(new CreateBucketCommand({ Bucket: 'photos' }));
    await s3Error(c.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })), 'InvalidBucketName', 400);
    const list = await c.send(new ListBucketsCommand({}));
    assert.deepEqual(
      list.Buckets?.map((b) => b.Name),
      ['photos'],
    );
    assert.equal(
      (await c.send(new GetBucketLocationCommand({ Bucket: 'photos' }))).LocationConstraint,
      undefined,
    );
    await c.send(new PutObjectCommand({ Bucket: 'photos', Key: 'a', Body: 'x' }));
    await s3Error(c.send(new DeleteBucketCommand({ Bucket: 'photos' })), 'BucketNotEmpty', 409);
    const bob = client(g, await g.createUser('bob'));
    try {
      await s3Error(bob.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a' })), 'AccessDenied', 403);
      await s3Error(bob.send(new CreateBucketCommand({ Bucket: 'photos' })), 'BucketAlreadyExists', 409);
      assert.deepEqual((await bob.send(new ListBucketsCommand({}))).Buckets ?? [], []);
    } finally {
      bob.destroy();
    }
    await c.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'a' }));
    await c.send(new DeleteBucketCommand({ Bucket: 'photos' }));
    await s3Error(c.send(new HeadBucketCommand({ Bucket: 'photos' })), 'NotFound', 404);
    await s3Error(c.send(new ListObjectsV2Command({ Bucket: 'photos' })), 'NoSuchBucket', 404);
  });
});

test('SDK: objects keep headers and metadata; ranges, conditionals and overrides work', async () => {
  await withGateway(async (_g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'docs' }));
    const body = '0123456789abcdefghij';
    const put = await c.send(
      new PutObjectCommand({
        Bucket: 'docs',
        Key: 'dir/ü file+1.txt',
        Body: body,
        ContentType: 'text/plain',
        ContentDisposition: 'attachment',
        CacheControl: 'max-age=60',
        ContentLanguage: 'en',
        Metadata: { color: 'blue' },
        Tagging: 'a=1&b=2',
      }),
    );
    assert.match(put.ETag ?? '', /^"[0-9a-f]{32}"$/);
    const head = await c.send(
      new HeadObjectCommand({ Bucket: 'docs', Key: 'dir/ü file+1.txt', ChecksumMode: 'ENABLED' }),
    );
    assert.equal(head.ContentLength, 20);
    assert.equal(head.ContentType, 'text/plain');
    assert.equal(head.ContentDisposition, 'attachment');
    assert.equal(head.CacheControl, 'max-age=60');
    assert.equal(head.ContentLanguage, 'en');
    assert.deepEqual(head.Metadata, { color: 'blue' });
    assert.equal(head.ETag, put.ETag);
    assert.ok(head.ChecksumCRC32 !== undefined, 'the SDK default CRC32 is stored and returned');
    const get = async (range: string): Promise<{ text: string; range: string | undefined }> => {
      const r = await c.send(new GetObjectCommand({ Bucket: 'docs', Key: 'dir/ü file+1.txt', Range: range }));
      return { text: (await r.Body?.transformToString()) ?? '', range: r.ContentRange };
    };
    assert.deepEqual(await get('bytes=0-3'), { text: '0123', range: 'bytes 0-3/20' });
    assert.deepEqual(await get('bytes=15-'), { text: 'fghij', range: 'bytes 15-19/20' });
    assert.deepEqual(await get('bytes=-2'), { text: 'ij', range: 'bytes 18-19/20' });
    await s3Error(get('bytes=20-'), 'InvalidRange', 416);
    await s3Error(
      c.send(new GetObjectCommand({ Bucket: 'docs', Key: 'dir/ü file+1.txt', IfMatch: '"nope"' })),
      'PreconditionFailed',
      412,
    );
    await assert.rejects(
      c.send(new GetObjectCommand({ Bucket: 'docs', Key: 'dir/ü file+1.txt', IfNoneMatch: put.ETag })),
      (e: unknown) => {
        return e instanceof S3ServiceException && e.$metadata.httpStatusCode === 304;
      },
    );
    await assert.rejects(
      c.send(
        new HeadObjectCommand({
          Bucket: 'docs',
          Key: 'dir/ü file+1.txt',
          IfModifiedSince: new Date(Date.now() + 60_000),
        }),
      ),
      (e: unknown) => {
        return e instanceof S3ServiceException && e.$metadata.httpStatusCode === 304;
      },
    );
    await assert.rejects(
      c.send(
        new HeadObjectCommand({
          Bucket: 'docs',
          Key: 'dir/ü file+1.txt',
          IfUnmodifiedSince: new Date(Date.now() - 3_600_000),
        }),
      ),
      (e: unknown) => {
        return e instanceof S3ServiceException && e.$metadata.httpStatusCode === 412;
      },
    );
    const over = await c.send(
      new GetObjectCommand({
        Bucket: 'docs',
        Key: 'dir/ü file+1.txt',
        ResponseContentType: 'application/x-test',
        ResponseContentDisposition: 'inline',
      }),
    );
    assert.equal(over.ContentType, 'application/x-test');
    assert.equal(over.ContentDisposition, 'inline');
    assert.equal(await over.Body?.transformToString(), body);
    const streamed = await c.send(
      new PutObjectCommand({
        Bucket: 'docs',
        Key: 'streamed',
        Body: Readable.from([Buffer.from('abc'), Buffer.from('def')]),
        ContentLength: 6,
      }),
    );
    assert.equal(streamed.ETag, '"e80b5017098950fc58aad83c8c14978e"');
    const back = await c.send(
      new GetObjectCommand({ Bucket: 'docs', Key: 'streamed', ChecksumMode: 'ENABLED' }),
    );
    assert.equal(await back.Body?.transformToString(), 'abcdef');
    assert.equal(back.ContentEncoding, undefined, 'aws-chunked is not stored as the content encoding');
    await s3Error(
      c.send(new PutObjectCommand({ Bucket: 'docs', Key: 'streamed', Body: 'x', IfNoneMatch: '*' })),
      'PreconditionFailed',
      412,
    );
    await s3Error(
      c.send(
        new PutObjectCommand({
          Bucket: 'docs',
          Key: 'md5',
          Body: 'x',
          ContentMD5: 'AAAAAAAAAAAAAAAAAAAAAA==',
        }),
      ),
      'BadDigest',
      400,
    );
    await s3Error(
      c.send(new PutObjectCommand({ Bucket: 'docs', Key: 'md5', Body: 'x', ContentMD5: 'nope' })),
      'InvalidDigest',
      400,
    );
    await s3Error(
      c.send(new PutObjectCommand({ Bucket: 'docs', Key: 'crc', Body: 'x', ChecksumCRC32: 'AAAAAA==' })),
      'BadDigest',
      400,
    );
    await s3Error(c.send(new GetObjectCommand({ Bucket: 'docs', Key: 'md5' })), 'NoSuchKey', 404);
    await s3Error(
      c.send(new GetObjectCommand({ Bucket: 'docs', Key: 'k'.repeat(1025) })),
      'KeyTooLongError',
      400,
    );
    await c.send(new DeleteObjectCommand({ Bucket: 'docs', Key: 'streamed' }));
    await c.send(new DeleteObjectCommand({ Bucket: 'docs', Key: 'never-existed' }));
    await s3Error(c.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'streamed' })), 'NotFound', 404);
  });
});

test('SDK: copy with COPY and REPLACE directives and copy-source conditions', async () => {
  await withGateway(async (_g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'src-b' }));
    await c.send(new CreateBucketCommand({ Bucket: 'dst-b' }));
    const put = await c.send(
      new PutObjectCommand({
        Bucket: 'src-b',
        Key: 'a b&c',
        Body: 'payload',
        ContentType: 'text/x',
        Metadata: { m: '1' },
      }),
    );
    const copy = await c.send(
      new CopyObjectCommand({
        Bucket: 'dst-b',
        Key: 'copy',
        CopySource: `src-b/${encodeURIComponent('a b&c')}`,
      }),
    );
    assert.equal(copy.CopyObjectResult?.ETag, put.ETag);
    const h1 = await c.send(new HeadObjectCommand({ Bucket: 'dst-b', Key: 'copy' }));
    assert.deepEqual([h1.ContentType, h1.Metadata], ['text/x', { m: '1' }]);
    await c.send(
      new CopyObjectCommand({
        Bucket: 'dst-b',
        Key: 'copy',
        CopySource: 'dst-b/copy',
        MetadataDirective: 'REPLACE',
        ContentType: 'text/y',
        Metadata: { n: '2' },
      }),
    );
    const h2 = await c.send(new HeadObjectCommand({ Bucket: 'dst-b', Key: 'copy' }));
    assert.deepEqual([h2.ContentType, h2.Metadata], ['text/y', { n: '2' }]);
    await s3Error(
      c.send(new CopyObjectCommand({ Bucket: 'dst-b', Key: 'copy', CopySource: 'dst-b/copy' })),
      'InvalidRequest',
      400,
    );
    await s3Error(
      c.send(
        new CopyObjectCommand({
          Bucket: 'dst-b',
          Key: 'c2',
          CopySource: 'src-b/a%20b%26c',
          CopySourceIfMatch: '"zzz"',
        }),
      ),
      'PreconditionFailed',
      412,
    );
    await s3Error(
      c.send(new CopyObjectCommand({ Bucket: 'dst-b', Key: 'c2', CopySource: 'src-b/missing' })),
      'NoSuchKey',
      404,
    );
    const got = await c.send(new GetObjectCommand({ Bucket: 'dst-b', Key: 'copy' }));
    assert.equal(await got.Body?.transformToString(), 'payload');
  });
});

test('SDK: every additional checksum algorithm is verified, stored and returned', async () => {
  await withGateway(async (_g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'sums' }));
    const algorithms = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
    for (const algorithm of algorithms) {
      const body = `data for ${algorithm}`;
      await c.send(
        new PutObjectCommand({ Bucket: 'sums', Key: algorithm, Body: body, ChecksumAlgorithm: algorithm }),
      );
      const streamed = Readable.from([Buffer.from(body)]);
      await c.send(
        new PutObjectCommand({
          Bucket: 'sums',
          Key: `${algorithm}-stream`,
          Body: streamed,
          ContentLength: body.length,
          ChecksumAlgorithm: algorithm,
        }),
      );
      for (const key of [algorithm, `${algorithm}-stream`]) {
        const head = await c.send(
          new HeadObjectCommand({ Bucket: 'sums', Key: key, ChecksumMode: 'ENABLED' }),
        );
        const field = `Checksum${algorithm}` as const;
        assert.equal(
          head[field],
          checksumOf(algorithm, Buffer.from(body)),
          `${key} returns its ${algorithm}`,
        );
      }
    }
  });
});
