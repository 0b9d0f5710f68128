import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { parseKeyPair, StorageTestCloud } from './storage-test-cloud.js';

const KUBECTL = '/usr/bin/kubectl';
let cloud: StorageTestCloud;

before(async () => {
  cloud = await StorageTestCloud.start();
});
after(async () => {
  await cloud.close();
});

test('s3 keys create makes a key that works with the AWS SDK at once, list shows it without the secret', async () => {
  const credsFile = join(cloud.dir, 'creds');
  const made = await cloud.run(['s3', 'keys', 'create', '--write-credentials', 'creds']);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /Created access key AKIA[A-Z2-7]{16} for user "admin"/);
  const key = parseKeyPair(made.stdout);
  assert.match(key.secretAccessKey, /^[A-Za-z0-9+/]{40}$/);
  assert.deepEqual(parseKeyPair(await readFile(credsFile, 'utf8')), key);
  assert.equal((await stat(credsFile)).mode & 0o777, 0o600);

  const s3 = cloud.client(key);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'cli-made' }));
    await s3.send(new PutObjectCommand({ Bucket: 'cli-made', Key: 'k', Body: 'made by a CLI key' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'cli-made', Key: 'k' }));
    assert.equal(await got.Body?.transformToString(), 'made by a CLI key');
  } finally {
    s3.destroy();
  }

  const listed = await cloud.run(['s3', 'keys', 'list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^ACCESS KEY ID\s+USER\s+AGE\n/);
  assert.match(listed.stdout, new RegExp(`^${key.accessKeyId}\\s+admin\\s+\\S+$`, 'm'));
  assert.ok(!listed.stdout.includes(key.secretAccessKey), 'list never shows a secret');

  if (!existsSync(KUBECTL)) {
    if (process.env.CI === 'true') throw new Error(`kubectl is required under CI (${KUBECTL})`);
    console.log('skipping kubectl get accesskeys: no kubectl at', KUBECTL);
    return;
  }
  const { stdout } = await promisify(execFile)(KUBECTL, ['get', 'accesskeys'], {
    env: { ...process.env, HOME: cloud.dir, KUBECONFIG: cloud.server.kubeconfigPath },
  });
  assert.match(stdout, /^NAME\s+USER\s+AGE\n/);
  assert.match(stdout, new RegExp(`^${key.accessKeyId}\\s+admin\\s`, 'm'));
  assert.ok(!stdout.includes(key.secretAccessKey));
});

test("another user's key is denied on the admin's bucket; a deleted key stops working", async () => {
  const admin = parseKeyPair(await readFile(cloud.s3.credentialsPath, 'utf8'));
  const adminS3 = cloud.client(admin);
  // A user exists while a token names them; keys of anyone else are refused.
  const user = await cloud.run(['user', 'create', 'alice']);
  assert.equal(user.code, 0, user.stderr);
  const made = await cloud.run(['s3', 'keys', 'create', '--user', 'alice']);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /for user "alice"/);
  const alice = parseKeyPair(made.stdout);
  const aliceS3 = cloud.client(alice);
  const rejects = (p: Promise<unknown>, name: string): Promise<void> =>
    assert.rejects(p, (e: unknown) => e instanceof S3ServiceException && e.name === name);
  try {
    await adminS3.send(new CreateBucketCommand({ Bucket: 'admins-only' }));
    await adminS3.send(new PutObjectCommand({ Bucket: 'admins-only', Key: 'secret.txt', Body: 'x' }));
    await rejects(
      aliceS3.send(new GetObjectCommand({ Bucket: 'admins-only', Key: 'secret.txt' })),
      'AccessDenied',
    );
    await aliceS3.send(new CreateBucketCommand({ Bucket: 'alices' }));

    const onlyAlice = await cloud.run(['s3', 'keys', 'list', '--user', 'alice']);
    assert.equal(onlyAlice.code, 0, onlyAlice.stderr);
    assert.deepEqual(
      onlyAlice.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
      [alice.accessKeyId],
    );

    const deleted = await cloud.run(['s3', 'keys', 'delete', alice.accessKeyId]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, `access key "${alice.accessKeyId}" deleted\n`);
    // The gateway's watch drops the key; bounded wait for the event to arrive.
    let denied = false;
    for (let i = 0; i < 50 && !denied; i++) {
      try {
        await aliceS3.send(new CreateBucketCommand({ Bucket: `alices-${i}` }));
        await new Promise((r) => setTimeout(r, 100));
      } catch (e) {
        assert.ok(e instanceof S3ServiceException && e.name === 'InvalidAccessKeyId', String(e));
        denied = true;
      }
    }
    assert.ok(denied, 'requests with a deleted key are refused');
    const listed = await cloud.run(['s3', 'keys', 'list']);
    assert.ok(!listed.stdout.includes(alice.accessKeyId));
  } finally {
    adminS3.destroy();
    aliceS3.destroy();
  }
});

test('s3 keys rejects bad usage and a key the API refuses with one clear line', async () => {
  const bad = await cloud.run(['s3', 'keys', 'frobnicate']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unknown verb "frobnicate" for "s3 keys"/);
  const missing = await cloud.run(['s3', 'keys', 'delete', 'AKIANOSUCHKEY0000000']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not found/);
});
