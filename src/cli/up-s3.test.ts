import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { sdkClient } from '../objectstore/testing.js';
import { startCloud, type RunningCloud } from './up.js';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL);
if (!haveKubectl && process.env.CI === 'true') throw new Error(`kubectl is required under CI (${KUBECTL})`);

let dir: string;
let cloud: RunningCloud;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-up-s3-'));
  cloud = await startCloud({ dataDir: join(dir, 'data'), apiPort: 0, s3Port: 0 }, []);
});
after(async () => {
  await cloud.close();
  await rm(dir, { recursive: true, force: true });
});

/** Reads the aws-cli credentials file `stratus up` writes, as a user's tools would. */
async function credentials(path: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const text = await readFile(path, 'utf8');
  const value = (name: string): string => new RegExp(`${name}\\s*=\\s*(\\S+)`).exec(text)?.[1] ?? '';
  return { accessKeyId: value('aws_access_key_id'), secretAccessKey: value('aws_secret_access_key') };
}

test('up serves S3 with the credentials it writes, and kubectl lists the buckets', async () => {
  const s3 = cloud.server.s3;
  assert.ok(s3, 'up runs the object store');
  assert.ok(
    cloud.lines.some((l) => l.includes(s3.url)),
    'up prints the S3 endpoint',
  );
  assert.match(s3.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'S3 speaks HTTPS by default');
  const client = sdkClient(s3.url, await credentials(s3.credentialsPath), {
    ca: await readFile(cloud.server.caCertPath ?? '', 'utf8'),
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: 'photos' }));
    await client.send(new PutObjectCommand({ Bucket: 'photos', Key: 'a/b.txt', Body: 'hello stratus' }));
    const got = await client.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a/b.txt' }));
    assert.equal(await got.Body?.transformToString(), 'hello stratus');
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'photos' }));
    assert.deepEqual(
      listed.Contents?.map((o) => o.Key),
      ['a/b.txt'],
    );
  } finally {
    client.destroy();
  }

  await s3.buckets.syncOnce();
  if (!haveKubectl) return;
  const { stdout } = await promisify(execFile)(KUBECTL, ['get', 'buckets'], {
    env: { ...process.env, HOME: dir, KUBECONFIG: cloud.server.kubeconfigPath },
  });
  const row = stdout.split('\n').find((l) => l.startsWith('photos'));
  assert.match(stdout, /^NAME\s+OWNER\s+OBJECTS\s+BYTES\s+VERSIONING\s+AGE/);
  assert.match(row ?? '', /^photos\s+admin\s+1\s+13\s+Off\s/);
});
