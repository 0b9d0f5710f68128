import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetBucketLocationCommand,
  HeadBucketCommand,
  ListBucketsCommand,
} from '@aws-sdk/client-s3';
import { parseCredentialsIni } from '../objectstore/s3/credentials.js';
import { sdkClient } from '../objectstore/testing.js';
import { collect, MAIN_JS } from './cli-harness.js';
import { startCloud } from './up.js';

test('the S3 endpoint answers the configured region: GetBucketLocation, HeadBucket, ListBuckets and aws-cli config', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-s3-region-'));
  const cloud = await startCloud({ dataDir: dir, apiPort: 0, s3Port: 0, s3Region: 'eu-west-2' }, []);
  try {
    const s3 = cloud.server.s3!;
    const key = parseCredentialsIni(await readFile(s3.credentialsPath, 'utf8'));
    const c = sdkClient(
      s3.url,
      { accessKeyId: key.accessKeyId!, secretAccessKey: key.secretAccessKey! },
      { ca: cloud.server.tls.trust?.pem },
    );
    try {
      await c.send(new CreateBucketCommand({ Bucket: 'regional' }));
      const location = await c.send(new GetBucketLocationCommand({ Bucket: 'regional' }));
      assert.equal(location.LocationConstraint, 'eu-west-2');
      assert.equal((await c.send(new HeadBucketCommand({ Bucket: 'regional' }))).BucketRegion, 'eu-west-2');
      const listed = await c.send(new ListBucketsCommand({ BucketRegion: 'eu-west-2' }));
      assert.deepEqual(
        listed.Buckets?.map((b) => [b.Name, b.BucketRegion]),
        [['regional', 'eu-west-2']],
      );
    } finally {
      c.destroy();
    }
    assert.match(await readFile(s3.configPath, 'utf8'), /^region = eu-west-2$/m);
  } finally {
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('stratus server refuses a malformed --s3-region with a usage error', async () => {
  const child = spawn(process.execPath, [MAIN_JS, 'server', '--s3-region', 'EU West'], { env: process.env });
  const r = await collect(child);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: --s3-region must be a region name such as eu-west-1, not "EU West"\n/);
});
