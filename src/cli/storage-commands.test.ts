import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ExplainResult } from '../objectstore/index.js';
import { parseKeyPair, StorageTestCloud } from './storage-test-cloud.js';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL);
if (!haveKubectl && process.env.CI === 'true') throw new Error(`kubectl is required under CI (${KUBECTL})`);

let cloud: StorageTestCloud;
let s3: S3Client;

before(async () => {
  cloud = await StorageTestCloud.start();
  s3 = cloud.client(parseKeyPair(await readFile(cloud.s3.credentialsPath, 'utf8')));
  await s3.send(new CreateBucketCommand({ Bucket: 'photos' }));
});
after(async () => {
  s3.destroy();
  await cloud.close();
});

/** The copy rows of `stratus explain object` output: device, role, state (first word), file. */
function copyRows(stdout: string): Array<{ device: string; role: string; state: string; file: string }> {
  const section = stdout.split('Copies:\n')[1]?.split('\n\n')[0] ?? '';
  return section
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [device = '', role = '', state = ''] = l.trim().split(/\s+/);
      return { device, role, state, file: l.trim().split(/\s+/).at(-1) ?? '' };
    });
}

test('storage ring shows the three devices, their partitions and balance', async () => {
  const r = await cloud.run(['storage', 'ring']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0] ?? '', /^DEVICE\s+ZONE\s+WEIGHT\s+PARTITIONS\s+DESIRED\s+BALANCE\s+PATH$/);
  for (const [i, zone] of ['a', 'b', 'c'].entries()) {
    // R=3 over three equal devices: each holds every partition once, exactly its share.
    assert.match(
      r.stdout,
      new RegExp(`^dev${i}\\s+${zone}\\s+1\\s+1024\\s+1024\\s+0\\.00%\\s+\\S+disk-${zone}$`, 'm'),
    );
  }
  assert.match(r.stdout, /^Replicas:\s+3\b/m);
  assert.match(r.stdout, /^Part power:\s+10 \(1024 partitions/m);
  assert.match(r.stdout, /^Ring version:\s+\d+$/m);

  const json = await cloud.run(['storage', 'ring', '-o', 'json']);
  const ring = JSON.parse(json.stdout) as {
    kind: string;
    devices: Array<{ id: string; partitions: number }>;
  };
  assert.equal(ring.kind, 'Ring');
  assert.deepEqual(
    ring.devices.map((d) => [d.id, d.partitions]),
    [
      ['dev0', 1024],
      ['dev1', 1024],
      ['dev2', 1024],
    ],
  );
});

test('explain shows three healthy copies; a flipped byte shows as corrupt until the auditor and replicator repair it', async () => {
  // Larger than the inline threshold (64 KiB), so that the copies are data files.
  await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'cat.jpg', Body: Buffer.alloc(96 * 1024, 7) }));
  const first = await cloud.run(['explain', 'object', 's3://photos/cat.jpg']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^Object:\s+s3:\/\/photos\/cat\.jpg$/m);
  const copies = copyRows(first.stdout);
  assert.deepEqual(copies.map((c) => [c.device, c.role, c.state]).sort(), [
    ['dev0', 'primary', 'ok'],
    ['dev1', 'primary', 'ok'],
    ['dev2', 'primary', 'ok'],
  ]);
  assert.match(first.stdout, /All 3 copies are healthy\./);
  assert.match(
    first.stdout,
    /Bucket index \(partition \d+\):\n\s+DEVICE\s+ROLE\s+STATE\n(\s+dev\d\s+primary\s+present\n){3}/,
  );

  // Flip the first body byte of one stored copy, found through explain's file paths.
  const victim = copies.find((c) => c.device === 'dev1');
  assert.ok(victim && existsSync(victim.file), `explain names the file: ${victim?.file}`);
  const fh = await open(victim.file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, 0);
    await fh.write(Buffer.from([b[0]! ^ 0xff]), 0, 1, 0);
  } finally {
    await fh.close();
  }
  const corrupt = await cloud.run(['explain', 'object', 's3://photos/cat.jpg']);
  assert.equal(corrupt.code, 0, corrupt.stderr);
  assert.deepEqual(
    copyRows(corrupt.stdout)
      .map((c) => [c.device, c.state])
      .sort(),
    [
      ['dev0', 'ok'],
      ['dev1', 'corrupt'],
      ['dev2', 'ok'],
    ],
  );
  assert.match(corrupt.stdout, /2 of 3 copies are healthy/);

  const audit = await cloud.s3.engine.auditOnce();
  assert.ok(audit.corruptFound >= 1);
  const afterAudit = await cloud.run(['explain', 'object', 's3://photos/cat.jpg', '-o', 'json']);
  const quarantined = JSON.parse(afterAudit.stdout) as ExplainResult;
  assert.equal(quarantined.files[0]?.copies.find((c) => c.device === 'dev1')?.state, 'missing');

  await cloud.s3.engine.replicateOnce();
  const repaired = await cloud.run(['explain', 'object', 's3://photos/cat.jpg']);
  assert.deepEqual(
    copyRows(repaired.stdout).map((c) => c.state),
    ['ok', 'ok', 'ok'],
  );

  const status = await cloud.run(['storage', 'status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^DEVICE\s+HEALTH\s+FREE\s+IN RING\s+PARTITIONS\s+PATH$/m);
  assert.match(status.stdout, /^dev0\s+ok\s+/m);
  assert.match(status.stdout, /^ {2}corrupt found:\s+1\b/m);
  assert.match(status.stdout, /^ {2}orphans removed:\s+0\b/m);
  assert.match(status.stdout, /^ {2}files copied:\s+[1-9]/m);
});

test('explain names a missing object or bad argument in one line', async () => {
  const missing = await cloud.run(['explain', 'object', 's3://photos/nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /NotFound.*"nope"/);
  const bad = await cloud.run(['explain', 'object', 'photos/nope']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /expected s3:\/\/BUCKET\/KEY/);
});

test('the storage views need a token and leave discovery and kubectl get buckets alone', async () => {
  const anonymous = await fetch(`${cloud.server.httpUrl}/apis/storage.stratus.dev/v1/ring`);
  assert.equal(anonymous.status, 401);
  await anonymous.arrayBuffer();
  const auth = { authorization: `Bearer ${cloud.server.adminToken}` };
  const noKey = await fetch(`${cloud.server.httpUrl}/apis/storage.stratus.dev/v1/explain?bucket=photos`, {
    headers: auth,
  });
  assert.equal(noKey.status, 400);
  assert.equal(((await noKey.json()) as { kind: string }).kind, 'Status');
  const discovery = await fetch(`${cloud.server.httpUrl}/apis/storage.stratus.dev/v1`, { headers: auth });
  const list = (await discovery.json()) as { resources: Array<{ name: string }> };
  assert.ok(list.resources.some((r) => r.name === 'buckets'));

  await cloud.s3.buckets.syncOnce();
  if (!haveKubectl) {
    console.log('skipping kubectl get buckets: no kubectl at', KUBECTL);
    return;
  }
  const { stdout } = await promisify(execFile)(KUBECTL, ['get', 'buckets'], {
    env: { ...process.env, HOME: cloud.dir, KUBECONFIG: cloud.server.kubeconfigPath },
  });
  assert.match(stdout, /^NAME\s+OWNER\s+OBJECTS/);
  assert.match(stdout, /^photos\s+admin\s/m);
});
