import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  CreateBucketCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { KubeClient } from '../client/index.js';
import { eventually } from '../api/testing.js';
import { accessKeyObject, generateAccessKey } from '../objectstore/s3/index.js';
import { s3Error, sdkClient } from '../objectstore/testing.js';
import { startServer, type RunningServer } from './server.js';
import { parseKeyPair } from './storage-test-cloud.js';

// ResourceQuota on object storage: a ServiceAccount's buckets count in its namespace, so a quota
// there limits how many buckets it makes and how many bytes they hold; a refused request leaves
// nothing behind. Buckets of users outside namespaces are not counted.

let dir: string;
let server: RunningServer;
let admin: KubeClient;
let team: S3Client;
let root: S3Client;

const SA = 'system:serviceaccount:team:app';

/** Asserts an S3 error whose message carries `words`. */
async function refused(p: Promise<unknown>, code: string, status: number, words: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof S3ServiceException, String(e));
    assert.equal(e.name, code);
    assert.equal(e.$metadata.httpStatusCode, status);
    assert.match(e.message, words);
    return true;
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-s3-quota-'));
  server = await startServer({ dataDir: join(dir, 'data'), apiPort: 0, s3Port: 0 });
  admin = KubeClient.fromKubeconfig(server.kubeconfigPath);
  await admin.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  await admin.create(
    'resourcequotas',
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'storage' },
      spec: { hard: { 'count/buckets.storage.stratus.dev': '1', 'storage.stratus.dev/bucket-bytes': '1Ki' } },
    },
    { namespace: 'team' },
  );
  // Charges are made against status.hard, which the resourcequota controller fills in.
  assert.ok(
    await eventually(async () => {
      const q = await admin.get('resourcequotas', 'storage', { namespace: 'team' });
      return (q.status as { hard?: object } | undefined)?.hard !== undefined;
    }),
  );
  await admin.create(
    'serviceaccounts',
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app' } },
    { namespace: 'team' },
  );
  const key = generateAccessKey(SA);
  await admin.create('accesskeys', accessKeyObject(key));
  team = sdkClient(server.s3?.url ?? '', key, { ca: server.tls.trust?.pem });
  const adminKey = parseKeyPair(await readFile(server.s3?.credentialsPath ?? '', 'utf8'));
  root = sdkClient(server.s3?.url ?? '', adminKey, { ca: server.tls.trust?.pem });
});

after(async () => {
  team?.destroy();
  root?.destroy();
  await admin?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

test("a ServiceAccount's second bucket is past its namespace's quota: TooManyBuckets, no bucket", async () => {
  await team.send(new CreateBucketCommand({ Bucket: 'team-one' }));
  await refused(
    team.send(new CreateBucketCommand({ Bucket: 'team-two' })),
    'TooManyBuckets',
    400,
    /namespace "team".*exceeded quota: storage, requested: count\/buckets.storage.stratus.dev=1, used: count\/buckets.storage.stratus.dev=1, limited: count\/buckets.storage.stratus.dev=1/,
  );
  await s3Error(team.send(new HeadBucketCommand({ Bucket: 'team-two' })), 'NotFound', 404);
  const listed = await team.send(new ListBucketsCommand({}));
  assert.deepEqual(
    listed.Buckets?.map((b) => b.Name),
    ['team-one'],
  );
  // The mirrored Bucket counts in the namespace, so the recount keeps the charge.
  await server.s3?.buckets.syncOnce();
  const bucket = await admin.get('buckets.storage.stratus.dev', 'team-one');
  assert.equal((bucket.spec as { namespace?: string }).namespace, 'team');
  assert.ok(
    await eventually(async () => {
      const q = await admin.get('resourcequotas', 'storage', { namespace: 'team' });
      const used = (q.status as { used?: Record<string, string> }).used;
      return used?.['count/buckets.storage.stratus.dev'] === '1';
    }),
  );
});

test('bytes past storage.stratus.dev/bucket-bytes are refused with QuotaExceeded and not stored', async () => {
  await team.send(new PutObjectCommand({ Bucket: 'team-one', Key: 'a', Body: 'a'.repeat(600) }));
  await refused(
    team.send(new PutObjectCommand({ Bucket: 'team-one', Key: 'b', Body: 'b'.repeat(600) })),
    'QuotaExceeded',
    403,
    /exceeded quota of namespace "team": requested: storage.stratus.dev\/bucket-bytes=600, used: storage.stratus.dev\/bucket-bytes=600, limited: storage.stratus.dev\/bucket-bytes=1024/,
  );
  await refused(
    team.send(new CopyObjectCommand({ Bucket: 'team-one', Key: 'c', CopySource: 'team-one/a' })),
    'QuotaExceeded',
    403,
    /bucket-bytes=600/,
  );
  await s3Error(team.send(new HeadObjectCommand({ Bucket: 'team-one', Key: 'b' })), 'NotFound', 404);
  await s3Error(team.send(new HeadObjectCommand({ Bucket: 'team-one', Key: 'c' })), 'NotFound', 404);
  // What still fits is stored.
  await team.send(new PutObjectCommand({ Bucket: 'team-one', Key: 'b', Body: 'b'.repeat(424) }));
  const listed = await team.send(new ListObjectsV2Command({ Bucket: 'team-one' }));
  assert.deepEqual(
    listed.Contents?.map((o) => [o.Key, o.Size]),
    [
      ['a', 600],
      ['b', 424],
    ],
  );
});

test('completing a multipart upload past the bytes is refused; the upload can still be aborted', async () => {
  await team.send(new DeleteObjectCommand({ Bucket: 'team-one', Key: 'b' }));
  const upload = await team.send(new CreateMultipartUploadCommand({ Bucket: 'team-one', Key: 'big' }));
  const part = await team.send(
    new UploadPartCommand({
      Bucket: 'team-one',
      Key: 'big',
      UploadId: upload.UploadId,
      PartNumber: 1,
      Body: 'p'.repeat(400),
    }),
  );
  // Parts count once completed: meanwhile another write takes the room.
  await team.send(new PutObjectCommand({ Bucket: 'team-one', Key: 'c', Body: 'c'.repeat(400) }));
  await refused(
    team.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'team-one',
        Key: 'big',
        UploadId: upload.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    ),
    'QuotaExceeded',
    403,
    /requested: storage.stratus.dev\/bucket-bytes=400, used: storage.stratus.dev\/bucket-bytes=1000/,
  );
  await s3Error(team.send(new HeadObjectCommand({ Bucket: 'team-one', Key: 'big' })), 'NotFound', 404);
  await team.send(
    new AbortMultipartUploadCommand({ Bucket: 'team-one', Key: 'big', UploadId: upload.UploadId }),
  );
});

test('buckets of users outside namespaces count in no quota', async () => {
  await root.send(new CreateBucketCommand({ Bucket: 'admin-one' }));
  await root.send(new CreateBucketCommand({ Bucket: 'admin-two' }));
  await root.send(new PutObjectCommand({ Bucket: 'admin-two', Key: 'k', Body: 'x'.repeat(4096) }));
  await server.s3?.buckets.syncOnce();
  const bucket = await admin.get('buckets.storage.stratus.dev', 'admin-two');
  assert.equal((bucket.spec as { namespace?: string }).namespace, undefined);
});
