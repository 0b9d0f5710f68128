import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
  ListPartsCommand,
  ListMultipartUploadsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  DeleteObjectCommand,
  DeleteBucketCommand,
  HeadBucketCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { startUpGateway } from '../../cli/testing.js';
import { client, s3Error, withGateway } from './test-sdk.js';

/** Deterministic pseudo-random bytes (xorshift32), so the data is incompressible but reproducible. */
function block(seed: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  return b;
}

const MiB = 1024 * 1024;

test('multipart: a 100 MiB upload in 10 MiB parts reads back with the same MD5', async () => {
  const g = await startUpGateway();
  const c = client(g);
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'big' }));
    const { UploadId } = await c.send(
      new CreateMultipartUploadCommand({
        Bucket: 'big',
        Key: 'data.bin',
        ContentType: 'application/x-big',
        Metadata: { origin: 'test' },
      }),
    );
    assert.ok(UploadId);
    const uploads = await c.send(new ListMultipartUploadsCommand({ Bucket: 'big' }));
    assert.deepEqual(
      uploads.Uploads?.map((u) => u.Key),
      ['data.bin'],
    );
    const whole = createHash('md5');
    const partMd5s: Buffer[] = [];
    const parts: Array<{ PartNumber: number; ETag: string }> = [];
    for (let n = 1; n <= 10; n++) {
      const data = block(n, 10 * MiB);
      whole.update(data);
      partMd5s.push(createHash('md5').update(data).digest());
      const r = await c.send(
        new UploadPartCommand({ Bucket: 'big', Key: 'data.bin', UploadId, PartNumber: n, Body: data }),
      );
      parts.push({ PartNumber: n, ETag: r.ETag ?? '' });
    }
    const listed = await c.send(
      new ListPartsCommand({ Bucket: 'big', Key: 'data.bin', UploadId, MaxParts: 4 }),
    );
    assert.deepEqual(
      listed.Parts?.map((p) => p.PartNumber),
      [1, 2, 3, 4],
    );
    assert.equal(listed.IsTruncated, true);
    const rest = await c.send(
      new ListPartsCommand({
        Bucket: 'big',
        Key: 'data.bin',
        UploadId,
        PartNumberMarker: listed.NextPartNumberMarker,
      }),
    );
    assert.equal(rest.Parts?.[0]?.PartNumber, 5);
    await assert.rejects(
      c.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'big',
          Key: 'data.bin',
          UploadId,
          MultipartUpload: { Parts: [parts[1]!, parts[0]!] },
        }),
      ),
      (e: unknown) => e instanceof S3ServiceException && e.name === 'InvalidPartOrder',
    );
    const done = await c.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'big',
        Key: 'data.bin',
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    const expectedEtag = `"${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-10"`;
    assert.equal(done.ETag, expectedEtag);
    const head = await c.send(new HeadObjectCommand({ Bucket: 'big', Key: 'data.bin' }));
    assert.equal(head.ContentLength, 100 * MiB);
    assert.equal(head.ContentType, 'application/x-big');
    const got = await c.send(new GetObjectCommand({ Bucket: 'big', Key: 'data.bin' }));
    const md5 = createHash('md5');
    let size = 0;
    for await (const chunk of got.Body as AsyncIterable<Buffer>) {
      md5.update(chunk);
      size += chunk.length;
    }
    assert.equal(size, 100 * MiB);
    assert.equal(md5.digest('hex'), whole.digest('hex'));
    assert.deepEqual((await c.send(new ListMultipartUploadsCommand({ Bucket: 'big' }))).Uploads ?? [], []);
  } finally {
    c.destroy();
    await g.close();
  }
});

test('multipart: UploadPartCopy with ranges, EntityTooSmall, InvalidPart and Abort', async () => {
  const g = await startUpGateway();
  const c = client(g);
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'mpu' }));
    const source = block(7, 6 * MiB);
    await c.send(new PutObjectCommand({ Bucket: 'mpu', Key: 'src', Body: source }));
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'assembled' }));
    const p1 = await c.send(
      new UploadPartCopyCommand({
        Bucket: 'mpu',
        Key: 'assembled',
        UploadId,
        PartNumber: 1,
        CopySource: 'mpu/src',
        CopySourceRange: `bytes=0-${5 * MiB - 1}`,
      }),
    );
    const p2 = await c.send(
      new UploadPartCopyCommand({
        Bucket: 'mpu',
        Key: 'assembled',
        UploadId,
        PartNumber: 2,
        CopySource: 'mpu/src',
        CopySourceRange: `bytes=${5 * MiB}-${6 * MiB - 1}`,
      }),
    );
    await assert.rejects(
      c.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'mpu',
          Key: 'assembled',
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }] },
        }),
      ),
      (e: unknown) => e instanceof S3ServiceException && e.name === 'InvalidPart',
    );
    await c.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'mpu',
        Key: 'assembled',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.CopyPartResult?.ETag ?? '' },
            { PartNumber: 2, ETag: p2.CopyPartResult?.ETag ?? '' },
          ],
        },
      }),
    );
    const got = await c.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'assembled' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(source));

    const small = await c.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'small' }));
    const s1 = await c.send(
      new UploadPartCommand({
        Bucket: 'mpu',
        Key: 'small',
        UploadId: small.UploadId,
        PartNumber: 1,
        Body: 'tiny',
      }),
    );
    const s2 = await c.send(
      new UploadPartCommand({
        Bucket: 'mpu',
        Key: 'small',
        UploadId: small.UploadId,
        PartNumber: 2,
        Body: 'tiny',
      }),
    );
    await assert.rejects(
      c.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'mpu',
          Key: 'small',
          UploadId: small.UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: s1.ETag ?? '' },
              { PartNumber: 2, ETag: s2.ETag ?? '' },
            ],
          },
        }),
      ),
      (e: unknown) => e instanceof S3ServiceException && e.name === 'EntityTooSmall',
    );
    await c.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId }));
    await assert.rejects(
      c.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId })),
      (e: unknown) => e instanceof S3ServiceException && e.name === 'NoSuchUpload',
    );
    await assert.rejects(
      c.send(
        new UploadPartCommand({
          Bucket: 'mpu',
          Key: 'small',
          UploadId: 'nope',
          PartNumber: 10001,
          Body: 'x',
        }),
      ),
      (e: unknown) => e instanceof S3ServiceException && e.name === 'InvalidArgument',
    );
  } finally {
    c.destroy();
    await g.close();
  }
});

test('multipart: DeleteBucket takes the incomplete uploads with it, but not while objects remain', async () => {
  await withGateway(async (_g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'scratch' }));
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: 'scratch', Key: 'left' }));
    const part = { Bucket: 'scratch', Key: 'left', UploadId, PartNumber: 1, Body: block(3, MiB) };
    await c.send(new UploadPartCommand(part));
    await c.send(new PutObjectCommand({ Bucket: 'scratch', Key: 'kept', Body: 'x' }));
    await s3Error(c.send(new DeleteBucketCommand({ Bucket: 'scratch' })), 'BucketNotEmpty', 409);
    const still = await c.send(new ListPartsCommand({ Bucket: 'scratch', Key: 'left', UploadId }));
    assert.equal(still.Parts?.length, 1, 'a refused DeleteBucket changes nothing');

    await c.send(new DeleteObjectCommand({ Bucket: 'scratch', Key: 'kept' }));
    await c.send(new DeleteBucketCommand({ Bucket: 'scratch' }));
    await s3Error(c.send(new HeadBucketCommand({ Bucket: 'scratch' })), 'NotFound', 404);
    await c.send(new CreateBucketCommand({ Bucket: 'scratch' }));
    assert.deepEqual(
      (await c.send(new ListMultipartUploadsCommand({ Bucket: 'scratch' }))).Uploads ?? [],
      [],
    );
    await s3Error(c.send(new UploadPartCommand(part)), 'NoSuchUpload', 404);
  });
});
