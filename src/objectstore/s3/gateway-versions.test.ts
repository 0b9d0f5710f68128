import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectAttributesCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { sdkClient, startTestGateway, type TestGateway } from './test-gateway.js';
import { s3Error } from './test-sdk.js';

async function withTestGateway(fn: (g: TestGateway, c: S3Client) => Promise<void>): Promise<void> {
  const g = await startTestGateway();
  const c = sdkClient(g.url, g.key);
  try {
    await fn(g, c);
  } finally {
    c.destroy();
    await g.close();
  }
}

/** Every entry of a listing page as `key vid latest kind`, versions and markers in listing order. */
function entries(page: ListObjectVersionsCommandOutput): string[] {
  const all = [
    ...(page.Versions ?? []).map((v) => ({ ...v, kind: 'v' })),
    ...(page.DeleteMarkers ?? []).map((v) => ({ ...v, kind: 'dm' })),
  ];
  // The SDK splits versions and markers; within a key the newest comes first (LastModified ties
  // are broken by the id, which sorts by age here).
  all.sort((a, b) =>
    a.Key !== b.Key
      ? a.Key! < b.Key!
        ? -1
        : 1
      : a.VersionId === 'null'
        ? 1
        : b.VersionId === 'null'
          ? -1
          : a.VersionId! < b.VersionId!
            ? 1
            : -1,
  );
  return all.map((v) => `${v.Key} ${v.VersionId} ${v.IsLatest} ${v.kind}`);
}

test('SDK: ListObjectVersions pages by key and version markers, with delimiters and delete markers', async () => {
  await withTestGateway(async (_g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'vers' }));
    await c.send(new PutObjectCommand({ Bucket: 'vers', Key: 'c', Body: 'null version' }));
    await c.send(
      new PutBucketVersioningCommand({ Bucket: 'vers', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    for (const [key, n] of [
      ['a/1', 3],
      ['a/2', 1],
      ['b', 2],
      ['c', 1],
    ] as const)
      for (let i = 0; i < n; i++)
        await c.send(new PutObjectCommand({ Bucket: 'vers', Key: key, Body: `${key}${i}` }));
    await c.send(new DeleteObjectCommand({ Bucket: 'vers', Key: 'a/2' }));
    const full = await c.send(new ListObjectVersionsCommand({ Bucket: 'vers' }));
    assert.equal(full.IsTruncated, false);
    const all = entries(full);
    assert.equal(all.length, 9);
    assert.deepEqual(
      all.filter((e) => e.includes(' true ')).map((e) => e.split(' ')[0]),
      ['a/1', 'a/2', 'b', 'c'],
    );
    assert.ok(all.some((e) => e.startsWith('a/2 ') && e.endsWith('true dm')));
    assert.ok(all.some((e) => e === 'c null false v'));

    // Pages of every size give the same entries, resuming inside a key by its version id.
    for (const max of [1, 2, 3]) {
      const paged: string[] = [];
      let keyMarker: string | undefined;
      let versionMarker: string | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await c.send(
          new ListObjectVersionsCommand({
            Bucket: 'vers',
            MaxKeys: max,
            ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
            ...(versionMarker !== undefined ? { VersionIdMarker: versionMarker } : {}),
          }),
        );
        paged.push(...entries(page));
        assert.ok((page.Versions?.length ?? 0) + (page.DeleteMarkers?.length ?? 0) <= max);
        if (!page.IsTruncated) break;
        keyMarker = page.NextKeyMarker;
        versionMarker = page.NextVersionIdMarker;
      }
      assert.deepEqual(paged, all, `max-keys ${max}`);
    }

    // A delimiter rolls a/ up into one common prefix, which counts once toward max-keys.
    const rolled = await c.send(new ListObjectVersionsCommand({ Bucket: 'vers', Delimiter: '/' }));
    assert.deepEqual(
      rolled.CommonPrefixes?.map((p) => p.Prefix),
      ['a/'],
    );
    assert.deepEqual([...new Set(entries(rolled).map((e) => e.split(' ')[0]))], ['b', 'c']);
    const first = await c.send(new ListObjectVersionsCommand({ Bucket: 'vers', Delimiter: '/', MaxKeys: 1 }));
    assert.deepEqual(
      first.CommonPrefixes?.map((p) => p.Prefix),
      ['a/'],
    );
    assert.equal(first.IsTruncated, true);
    assert.equal(first.NextKeyMarker, 'a/');
    const next = await c.send(
      new ListObjectVersionsCommand({
        Bucket: 'vers',
        Delimiter: '/',
        MaxKeys: 10,
        KeyMarker: first.NextKeyMarker,
      }),
    );
    assert.equal(next.CommonPrefixes, undefined);
    assert.equal(entries(next).length, 4);
    const prefixed = await c.send(new ListObjectVersionsCommand({ Bucket: 'vers', Prefix: 'a/' }));
    assert.equal(entries(prefixed).length, 5);

    await s3Error(
      c.send(new ListObjectVersionsCommand({ Bucket: 'vers', VersionIdMarker: 'x' })),
      'InvalidArgument',
      400,
    );
  });
});

test('SDK: ListObjectVersions refuses a version-id-marker that names no version of the key-marker', async () => {
  await withTestGateway(async (_g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'vmark' }));
    await c.send(new PutObjectCommand({ Bucket: 'vmark', Key: 'plain', Body: 'null version' }));
    await c.send(
      new PutBucketVersioningCommand({ Bucket: 'vmark', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const a1 = await c.send(new PutObjectCommand({ Bucket: 'vmark', Key: 'a', Body: 'a1' }));
    const a2 = await c.send(new PutObjectCommand({ Bucket: 'vmark', Key: 'a', Body: 'a2' }));
    const b1 = await c.send(new PutObjectCommand({ Bucket: 'vmark', Key: 'b', Body: 'b1' }));
    const dm = await c.send(new DeleteObjectCommand({ Bucket: 'vmark', Key: 'b' }));
    const list = (KeyMarker: string, VersionIdMarker: string) =>
      c.send(new ListObjectVersionsCommand({ Bucket: 'vmark', KeyMarker, VersionIdMarker }));
    const invalid = async (p: Promise<unknown>): Promise<void> => {
      await s3Error(p, 'InvalidArgument', 400);
      await p.catch((e: Error) => assert.equal(e.message, 'Invalid version id specified'));
    };

    // A well-formed id of no version at all, another key's version, a marker key with no versions.
    await invalid(list('a', 'no-such-version'));
    await invalid(list('a', b1.VersionId!));
    await invalid(list('zzz', a1.VersionId!));
    await invalid(list('b', 'null'));

    // Existing markers resume after themselves: a version, a delete marker, the null version.
    assert.deepEqual(entries(await list('a', a2.VersionId!)), [
      `a ${a1.VersionId} false v`,
      `b ${dm.VersionId} true dm`,
      `b ${b1.VersionId} false v`,
      'plain null true v',
    ]);
    assert.deepEqual(entries(await list('b', dm.VersionId!)), [
      `b ${b1.VersionId} false v`,
      'plain null true v',
    ]);
    assert.deepEqual(entries(await list('plain', 'null')), []);
  });
});

test('SDK: GetObjectAttributes answers the attributes asked for, pages parts, and is access-checked', async () => {
  await withTestGateway(async (g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'attrs' }));
    await c.send(
      new PutBucketVersioningCommand({ Bucket: 'attrs', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const one = await c.send(
      new PutObjectCommand({ Bucket: 'attrs', Key: 'one', Body: 'hello', ChecksumAlgorithm: 'CRC32' }),
    );
    const all = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
    const a = await c.send(
      new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'one', ObjectAttributes: [...all] }),
    );
    assert.equal(a.ETag, one.ETag?.replace(/"/g, ''));
    assert.equal(a.Checksum?.ChecksumCRC32, one.ChecksumCRC32);
    assert.equal(a.Checksum?.ChecksumType, 'FULL_OBJECT');
    assert.equal(a.ObjectSize, 5);
    assert.equal(a.StorageClass, 'STANDARD');
    assert.equal(a.ObjectParts, undefined, 'a single-part object has no parts');
    assert.equal(a.VersionId, one.VersionId);
    assert.ok(a.LastModified instanceof Date);
    const some = await c.send(
      new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'one', ObjectAttributes: ['ObjectSize'] }),
    );
    assert.equal(some.ETag, undefined);
    assert.equal(some.ObjectSize, 5);

    // A multipart object: its parts, a page at a time.
    const up = await c.send(new CreateMultipartUploadCommand({ Bucket: 'attrs', Key: 'multi' }));
    const bodies = [Buffer.alloc(5 * 1024 * 1024, 1), Buffer.alloc(5 * 1024 * 1024, 2), Buffer.from('tail')];
    const parts = [];
    for (const [i, Body] of bodies.entries()) {
      const r = await c.send(
        new UploadPartCommand({
          Bucket: 'attrs',
          Key: 'multi',
          UploadId: up.UploadId,
          PartNumber: i + 1,
          Body,
        }),
      );
      parts.push({ PartNumber: i + 1, ETag: r.ETag });
    }
    await c.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'attrs',
        Key: 'multi',
        UploadId: up.UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    const m = await c.send(
      new GetObjectAttributesCommand({
        Bucket: 'attrs',
        Key: 'multi',
        ObjectAttributes: ['ObjectParts', 'ETag'],
        MaxParts: 2,
      }),
    );
    assert.match(m.ETag ?? '', /^[0-9a-f]{32}-3$/);
    assert.equal(m.ObjectParts?.TotalPartsCount, 3);
    assert.equal(m.ObjectParts?.IsTruncated, true);
    assert.equal(m.ObjectParts?.MaxParts, 2);
    assert.deepEqual(
      m.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size]),
      [
        [1, 5 * 1024 * 1024],
        [2, 5 * 1024 * 1024],
      ],
    );
    const rest = await c.send(
      new GetObjectAttributesCommand({
        Bucket: 'attrs',
        Key: 'multi',
        ObjectAttributes: ['ObjectParts'],
        PartNumberMarker: m.ObjectParts?.NextPartNumberMarker,
      }),
    );
    assert.equal(rest.ObjectParts?.IsTruncated, false);
    assert.deepEqual(
      rest.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size]),
      [[3, 4]],
    );

    // Old versions by id; a current delete marker is NoSuchKey, as for HEAD.
    await c.send(new PutObjectCommand({ Bucket: 'attrs', Key: 'one', Body: 'hello, world' }));
    const old = await c.send(
      new GetObjectAttributesCommand({
        Bucket: 'attrs',
        Key: 'one',
        VersionId: one.VersionId,
        ObjectAttributes: ['ObjectSize'],
      }),
    );
    assert.equal(old.ObjectSize, 5);
    await c.send(new DeleteObjectCommand({ Bucket: 'attrs', Key: 'one' }));
    await s3Error(
      c.send(new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'one', ObjectAttributes: ['ETag'] })),
      'NoSuchKey',
      404,
    );
    await s3Error(
      c.send(
        new GetObjectAttributesCommand({
          Bucket: 'attrs',
          Key: 'multi',
          ObjectAttributes: ['Size' as 'ObjectSize'],
        }),
      ),
      'InvalidArgument',
      400,
    );

    // Another user needs s3:GetObjectAttributes (s3:GetObject is not it).
    const bob = sdkClient(g.url, await g.createUser('bob'));
    try {
      const ask = (): Promise<unknown> =>
        bob.send(
          new GetObjectAttributesCommand({ Bucket: 'attrs', Key: 'multi', ObjectAttributes: ['ObjectSize'] }),
        );
      await s3Error(ask(), 'AccessDenied', 403);
      const allow = async (action: string): Promise<void> => {
        await c.send(
          new PutBucketPolicyCommand({
            Bucket: 'attrs',
            Policy: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: 'bob' },
                  Action: action,
                  Resource: 'arn:aws:s3:::attrs/*',
                },
              ],
            }),
          }),
        );
      };
      await allow('s3:GetObject');
      await s3Error(ask(), 'AccessDenied', 403);
      await allow('s3:GetObjectAttributes');
      assert.equal(((await ask()) as { ObjectSize?: number }).ObjectSize, 10 * 1024 * 1024 + 4);
    } finally {
      bob.destroy();
    }
  });
});
