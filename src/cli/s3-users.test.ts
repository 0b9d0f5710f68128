import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, StatusError } from '../client/index.js';
import { accessKeyObject, generateAccessKey, type AccessKey } from '../objectstore/s3/index.js';
import { rawRequest, s3Error, sdkClient } from '../objectstore/testing.js';
import { newToken, tokenSecret } from '../identity/index.js';
import { spawn } from 'node:child_process';
import { eventually } from '../api/testing.js';
import { collect, MAIN_JS } from './cli-harness.js';
import { startCloud, type RunningCloud } from './up.js';

// S3 access keys belong to users: a second user can do nothing in the first user's bucket, cannot
// make keys for the first user, and loses S3 access with the last of their tokens.

let dir: string;
let cloud: RunningCloud;
let admin: KubeClient;
const users: Record<string, { token: string; key: AccessKey; s3: S3Client; api: KubeClient }> = {};

function s3For(key: AccessKey): S3Client {
  return sdkClient(cloud.server.s3?.url ?? '', key, { ca: cloud.server.tls.trust?.pem });
}

/** A user as `stratus user create` makes one, allowed to make their own S3 keys, with one. */
async function user(name: string): Promise<void> {
  const token = newToken();
  await admin.create('secrets', tokenSecret(token, { username: name, groups: [] }, { ttlMs: 3_600_000 }), {
    namespace: 'kube-system',
  });
  await admin.create('clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${name}-s3` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'stratus:s3-keys' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name }],
  });
  const api = new KubeClient({
    server: cloud.server.httpUrl,
    token,
    namespace: 'default',
    contextName: name,
  });
  // As `stratus s3 keys create` without --user: the server makes the key the requester's own.
  const key = generateAccessKey('');
  const object = accessKeyObject(key);
  delete (object.spec as { user?: string }).user;
  delete object.metadata.labels;
  const created = await api.create('accesskeys', object);
  assert.equal((created.spec as { user: string }).user, name);
  users[name] = { token, key: { ...key, user: name }, s3: s3For(key), api };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-s3-users-'));
  cloud = await startCloud({ dataDir: join(dir, 'data'), apiPort: 0, s3Port: 0 }, []);
  admin = KubeClient.fromKubeconfig(cloud.server.kubeconfigPath);
  await user('alice');
  await user('bob');
});

after(async () => {
  for (const u of Object.values(users)) {
    u.s3.destroy();
    await u.api.close();
  }
  await admin?.close();
  await cloud?.close();
  await rm(dir, { recursive: true, force: true });
});

test("a second user can do nothing in the first user's bucket", async () => {
  const alice = users.alice!.s3;
  const bob = users.bob!.s3;
  await alice.send(new CreateBucketCommand({ Bucket: 'alices' }));
  await alice.send(
    new PutObjectCommand({ Bucket: 'alices', Key: 'secret.txt', Body: 'x'.repeat(6 * 1024 * 1024) }),
  );
  await alice.send(
    new PutObjectTaggingCommand({
      Bucket: 'alices',
      Key: 'secret.txt',
      Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] },
    }),
  );
  const upload = await alice.send(new CreateMultipartUploadCommand({ Bucket: 'alices', Key: 'big' }));
  await bob.send(new CreateBucketCommand({ Bucket: 'bobs' }));
  const bobsUpload = await bob.send(new CreateMultipartUploadCommand({ Bucket: 'bobs', Key: 'stolen' }));
  const denied = [
    new GetObjectCommand({ Bucket: 'alices', Key: 'secret.txt' }),
    new ListObjectsV2Command({ Bucket: 'alices' }),
    new ListObjectVersionsCommand({ Bucket: 'alices' }),
    new ListMultipartUploadsCommand({ Bucket: 'alices' }),
    new ListPartsCommand({ Bucket: 'alices', Key: 'big', UploadId: upload.UploadId }),
    new UploadPartCommand({
      Bucket: 'alices',
      Key: 'big',
      UploadId: upload.UploadId,
      PartNumber: 1,
      Body: 'p',
    }),
    new CompleteMultipartUploadCommand({
      Bucket: 'alices',
      Key: 'big',
      UploadId: upload.UploadId,
      MultipartUpload: { Parts: [] },
    }),
    new CopyObjectCommand({ Bucket: 'bobs', Key: 'copy', CopySource: 'alices/secret.txt' }),
    new UploadPartCopyCommand({
      Bucket: 'bobs',
      Key: 'stolen',
      UploadId: bobsUpload.UploadId,
      PartNumber: 1,
      CopySource: 'alices/secret.txt',
    }),
    new GetObjectTaggingCommand({ Bucket: 'alices', Key: 'secret.txt' }),
    new PutObjectTaggingCommand({ Bucket: 'alices', Key: 'secret.txt', Tagging: { TagSet: [] } }),
    new PutObjectCommand({ Bucket: 'alices', Key: 'planted', Body: 'x' }),
    new DeleteObjectCommand({ Bucket: 'alices', Key: 'secret.txt' }),
    new DeleteObjectsCommand({ Bucket: 'alices', Delete: { Objects: [{ Key: 'secret.txt' }] } }),
    new GetBucketCorsCommand({ Bucket: 'alices' }),
    new DeleteBucketCommand({ Bucket: 'alices' }),
  ];
  for (const command of denied) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument -- one loop over every command type
    await s3Error(bob.send(command as any), 'AccessDenied', 403).catch((err: Error) => {
      throw new Error(`${command.constructor.name}: ${err.message}`);
    });
  }
  // HEAD answers carry no body (the SDK cannot name the error): a bare 403.
  await assert.rejects(
    bob.send(new HeadObjectCommand({ Bucket: 'alices', Key: 'secret.txt' })),
    (e: unknown) => {
      assert.equal((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 403);
      return true;
    },
  );
  const still = await alice.send(new GetObjectTaggingCommand({ Bucket: 'alices', Key: 'secret.txt' }));
  assert.deepEqual(still.TagSet, [{ Key: 'k', Value: 'v' }]);
});

test("another user's signed request gets AccessDenied, with the bucket's CORS headers as on AWS (CORS is decided before access)", async () => {
  await users.alice!.s3.send(
    new PutBucketCorsCommand({
      Bucket: 'alices',
      CORSConfiguration: {
        CORSRules: [{ AllowedOrigins: ['https://app.example'], AllowedMethods: ['GET'] }],
      },
    }),
  );
  const { signRequest } = await import('../objectstore/s3/index.js');
  const url = `${cloud.server.s3?.url ?? ''}/alices/secret.txt`;
  const headers = signRequest(
    { method: 'GET', url, headers: { origin: 'https://app.example' } },
    { accessKeyId: users.bob!.key.accessKeyId, secretAccessKey: users.bob!.key.secretAccessKey },
  );
  const ca = cloud.server.tls.trust?.pem;
  const res = await rawRequest(url, { headers, ...(ca !== undefined ? { ca } : {}) });
  assert.equal(res.status, 403);
  assert.match(res.body.toString(), /<Code>AccessDenied<\/Code>/);
  assert.equal(res.headers['access-control-allow-origin'], 'https://app.example');
});

/** Waits until the key of `s3` is refused as unknown (a revocation travels through a watch). */
function refused(s3: S3Client, bucket: string): Promise<boolean> {
  return eventually(
    () =>
      s3.send(new ListObjectsV2Command({ Bucket: bucket })).then(
        () => false,
        (e: unknown) => (e as { name?: string }).name === 'InvalidAccessKeyId',
      ),
    600,
  );
}

test('a user cannot mint keys for another user; a user whose tokens are all revoked loses S3', async () => {
  const forged = accessKeyObject(generateAccessKey('alice'));
  await assert.rejects(users.bob!.api.create('accesskeys', forged), (err: unknown) => {
    assert.ok(err instanceof StatusError);
    assert.equal(err.status, 403);
    assert.match(err.message, /user "bob" cannot create an access key for user "alice"/);
    return true;
  });
  const bob = users.bob!;
  await bob.s3.send(new ListObjectsV2Command({ Bucket: 'bobs' }));
  // Keys of a user whose tokens are all revoked are refused as soon as the revocation reaches
  // the gateway's user directory (it follows the token Secrets through the watch cache).
  const before = await admin.list('secrets', {
    namespace: 'kube-system',
    labelSelector: 'stratus.dev/token=true',
  });
  const bobs = before.items.filter((t) => JSON.stringify(t).includes(Buffer.from('bob').toString('base64')));
  for (const t of bobs) await admin.delete('secrets', t.metadata.name ?? '', { namespace: 'kube-system' });
  assert.ok(await refused(bob.s3, 'bobs'), "bob's key is refused once his tokens are revoked");
  await s3Error(bob.s3.send(new ListObjectsV2Command({ Bucket: 'bobs' })), 'InvalidAccessKeyId', 403);
  // `stratus user delete` removes a user: their tokens and their keys.
  const removed = await collect(
    spawn(process.execPath, [
      MAIN_JS,
      'user',
      'delete',
      'alice',
      '--kubeconfig',
      cloud.server.kubeconfigPath,
    ]),
    { timeoutMs: 60_000 },
  );
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout, 'user "alice" removed: 1 token(s) revoked, 1 access key(s) deleted\n');
  assert.ok(await refused(users.alice!.s3, 'alices'), "alice's key is refused once she is removed");
  await s3Error(
    users.alice!.s3.send(new ListObjectsV2Command({ Bucket: 'alices' })),
    'InvalidAccessKeyId',
    403,
  );
  await assert.rejects(
    users.alice!.api.list('pods'),
    (e: unknown) => e instanceof StatusError && e.status === 401,
  );
});
