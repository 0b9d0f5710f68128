import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openObjectStore, type EngineObjectStore } from '../index.js';
import { isObjectStoreError } from '../errors.js';

async function withStore(
  devices: number,
  fn: (s: EngineObjectStore, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-engine-'));
  const store = await openObjectStore({
    devices: Array.from({ length: devices }, (_, i) => ({ path: join(dir, `d${i}`), zone: `z${i}` })),
    partPower: 6,
  });
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const body = (s: string | Buffer): Readable => Readable.from([Buffer.from(s)]);
async function text(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}
const md5b64 = (s: string): string => createHash('md5').update(s).digest('base64');

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => isObjectStoreError(err) && err.code === code);
}

test('buckets: create, conflicts, list, delete', async () => {
  await withStore(1, async (s) => {
    await s.createBucket('alpha', 'alice');
    await s.createBucket('beta', 'bob');
    await rejects(s.createBucket('alpha', 'alice'), 'BucketAlreadyOwnedByYou');
    await rejects(s.createBucket('alpha', 'bob'), 'BucketAlreadyExists');
    await rejects(s.createBucket('Bad_Name', 'bob'), 'InvalidBucketName');
    // The naming rules are the gateway's too: reserved prefixes and suffixes are refused here.
    for (const reserved of ['xn--abc', 'sthree-abc', 'abc-s3alias', 'abc--ol-s3'])
      await rejects(s.createBucket(reserved, 'bob'), 'InvalidBucketName');
    assert.deepEqual(
      (await s.listBuckets()).map((b) => b.name),
      ['alpha', 'beta'],
    );
    assert.deepEqual(
      (await s.listBuckets('bob')).map((b) => b.name),
      ['beta'],
    );
    await s.putObject('alpha', 'k', body('x'), {});
    await rejects(s.deleteBucket('alpha'), 'BucketNotEmpty');
    await s.deleteObject('alpha', 'k');
    await s.deleteBucket('alpha');
    assert.equal(await s.getBucket('alpha'), undefined);
    await rejects(s.putObject('alpha', 'k', body('x'), {}), 'NoSuchBucket');
  });
});

test('objects: put, get, head, range, metadata, digests, delete', async () => {
  await withStore(1, async (s) => {
    await s.createBucket('bkt', 'o');
    const info = await s.putObject('bkt', 'dir/a.txt', body('hello world'), {
      contentMd5: md5b64('hello world'),
      headers: { contentType: 'text/plain' },
      metadata: { color: 'blue' },
      checksum: { algorithm: 'CRC32', value: Buffer.from('0d4a1185', 'hex').toString('base64') },
    });
    assert.equal(info.etag, `"${createHash('md5').update('hello world').digest('hex')}"`);
    assert.equal(info.versionId, 'null');
    const got = await s.getObject('bkt', 'dir/a.txt');
    assert.equal(await text(got.body), 'hello world');
    assert.equal(got.info.headers.contentType, 'text/plain');
    assert.deepEqual(got.info.metadata, { color: 'blue' });
    assert.equal(got.info.checksum?.algorithm, 'CRC32');
    assert.equal(
      await text((await s.getObject('bkt', 'dir/a.txt', { range: { start: 6, end: 10 } })).body),
      'world',
    );
    assert.equal(await text((await s.getObject('bkt', 'dir/a.txt', { range: { suffix: 3 } })).body), 'rld');
    await rejects(s.getObject('bkt', 'dir/a.txt', { range: { start: 50 } }), 'InvalidRange');
    assert.equal((await s.headObject('bkt', 'dir/a.txt')).size, 11);
    await rejects(s.putObject('bkt', 'bad', body('abc'), { contentMd5: md5b64('abd') }), 'BadDigest');
    await rejects(s.headObject('bkt', 'bad'), 'NoSuchKey');
    await rejects(
      s.putObject('bkt', 'bad', body('abc'), { checksum: { algorithm: 'CRC32C', value: 'AAAAAA==' } }),
      'XAmzContentChecksumMismatch',
    );
    await rejects(s.putObject('bkt', 'dir/a.txt', body('new'), { ifNoneMatch: '*' }), 'PreconditionFailed');
    await s.putObject('bkt', 'dir/a.txt', body('new'), { ifMatch: info.etag });
    assert.equal(await text((await s.getObject('bkt', 'dir/a.txt')).body), 'new');
    await rejects(s.putObject('bkt', 'x'.repeat(1025), body(''), {}), 'KeyTooLongError');
    const del = await s.deleteObject('bkt', 'dir/a.txt');
    assert.equal(del.deleteMarker, false);
    await rejects(s.getObject('bkt', 'dir/a.txt'), 'NoSuchKey');
    assert.deepEqual(await s.bucketUsage('bkt'), { objects: 0, bytes: 0 });
  });
});

test('a PUT whose body stream fails midway leaves nothing visible', async () => {
  await withStore(3, async (s, dir) => {
    await s.createBucket('bkt', 'o');
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(64 * 1024, 1);
      await new Promise((r) => setImmediate(r));
      throw new Error('client went away');
    }
    await rejects(s.putObject('bkt', 'k', Readable.from(failing()), {}), 'IncompleteBody');
    await rejects(s.headObject('bkt', 'k'), 'NoSuchKey');
    assert.equal((await s.listObjects('bkt', {})).objects.length, 0);
    const { readdir } = await import('node:fs/promises');
    for (let i = 0; i < 3; i++) assert.deepEqual(await readdir(join(dir, `d${i}`, 'tmp')), []);
  });
});

test('listing with prefix, delimiter, pagination, odd bytes and 1024-byte keys', async () => {
  await withStore(1, async (s) => {
    await s.createBucket('bkt', 'o');
    const keys = [
      'a/1',
      'a/2',
      'a/b/3',
      'b',
      'c/4',
      'c/5',
      'd ü/é\u0001x',
      'z'.repeat(1000) + 'ü'.repeat(12),
    ];
    for (const k of keys) await s.putObject('bkt', k, body(k), {});
    const all = await s.listObjects('bkt', {});
    assert.deepEqual(
      all.objects.map((o) => o.key),
      [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    const top = await s.listObjects('bkt', { delimiter: '/' });
    assert.deepEqual(top.commonPrefixes, ['a/', 'c/', 'd ü/']);
    assert.deepEqual(
      top.objects.map((o) => o.key),
      ['b', keys[7]],
    );
    const inA = await s.listObjects('bkt', { prefix: 'a/', delimiter: '/' });
    assert.deepEqual(
      inA.objects.map((o) => o.key),
      ['a/1', 'a/2'],
    );
    assert.deepEqual(inA.commonPrefixes, ['a/b/']);
    const page1 = await s.listObjects('bkt', { maxKeys: 3, delimiter: '/' });
    assert.deepEqual([...page1.commonPrefixes, ...page1.objects.map((o) => o.key)].sort(), ['a/', 'b', 'c/']);
    assert.equal(page1.isTruncated, true);
    const page2 = await s.listObjects('bkt', { maxKeys: 3, delimiter: '/', after: page1.nextAfter! });
    assert.deepEqual([...page2.commonPrefixes, ...page2.objects.map((o) => o.key)], ['d ü/', keys[7]]);
    assert.equal(page2.isTruncated, false);
    assert.equal(await text((await s.getObject('bkt', keys[7]!)).body), keys[7]);
    assert.equal(await text((await s.getObject('bkt', keys[6]!)).body), keys[6]);
  });
});

test('concurrent PUTs of one key: last writer wins and data, HEAD and listing agree', async () => {
  await withStore(3, async (s) => {
    await s.createBucket('race', 'o');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => s.putObject('race', 'k', body(`writer ${i}`), {})),
    );
    const head = await s.headObject('race', 'k');
    const got = await s.getObject('race', 'k');
    const content = await text(got.body);
    const winner = results.find((r) => r.etag === head.etag);
    assert.ok(winner, 'the current version is one of the writes');
    assert.equal(`"${createHash('md5').update(content).digest('hex')}"`, head.etag);
    const listed = await s.listObjects('race', {});
    assert.deepEqual(
      listed.objects.map((o) => [o.key, o.etag]),
      [['k', head.etag]],
    );
  });
});

test('reopening the same folders keeps the ring, buckets and objects', async () => {
  const { mkdtemp, rm: remove } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { openObjectStore: open } = await import('../index.js');
  const dir = await mkdtemp(join(tmpdir(), 'stratus-reopen-'));
  const devices = [0, 1, 2].map((i) => ({ path: join(dir, `d${i}`), zone: `z${i}` }));
  try {
    const first = await open({ devices, partPower: 6 });
    await first.createBucket('keep', 'o');
    await first.putObject('keep', 'k', body('kept'), {});
    const ring = first.ring();
    await first.close();
    const second = await open({ devices, partPower: 6 });
    try {
      assert.deepEqual(second.ring().assignment, ring.assignment);
      assert.equal(second.ring().version, ring.version);
      assert.deepEqual(
        (await second.listBuckets()).map((b) => b.name),
        ['keep'],
      );
      assert.equal(await text((await second.getObject('keep', 'k')).body), 'kept');
      const status = await second.status();
      assert.equal(status.devices.length, 3);
      assert.ok(status.devices.every((d) => d.health.ok && d.inRing));
    } finally {
      await second.close();
    }
  } finally {
    await remove(dir, { recursive: true, force: true });
  }
});
