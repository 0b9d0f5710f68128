import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openObjectStore, type EngineObjectStore } from './engine-store.js';
import { body, dataFiles, readAll, rejectsWith, withStore } from './test-helpers.js';

const md5 = (b: Buffer): string => `"${createHash('md5').update(b).digest('hex')}"`;

async function get(s: EngineObjectStore, bucket: string, key: string, versionId?: string): Promise<Buffer> {
  return readAll((await s.getObject(bucket, key, versionId === undefined ? {} : { versionId })).body);
}

/** The index database file of a bucket on a device, found through explain. */
async function indexFile(
  s: EngineObjectStore,
  devicePath: string,
  bucket: string,
  key: string,
): Promise<string> {
  const ex = await s.explain(bucket, key);
  const name = createHash('md5').update(bucket).digest('hex');
  return join(devicePath, 'indexes', String(ex.index.partition), `${name}.db`);
}

/** Flips one byte of a key's inline body in one replica, through SQLite, as bit rot would. */
function corrupt(file: string, key: string): void {
  const db = new Database(file);
  try {
    const row = db.prepare('SELECT data FROM inline WHERE key = ?').get(key) as { data: Buffer };
    const bad = Buffer.from(row.data);
    bad[0] = bad[0]! ^ 0xff;
    db.prepare('UPDATE inline SET data = ? WHERE key = ?').run(bad, key);
  } finally {
    db.close();
  }
}

test('a small object is stored inline: PUT, GET, HEAD, Range, copy and delete without data files', async () => {
  await withStore(1, async (s, { paths }) => {
    await s.createBucket('inl', 'o');
    const data = Buffer.from('hello inline world');
    const info = await s.putObject('inl', 'a/b', body(data), {
      size: data.length,
      headers: { contentType: 'text/plain' },
      metadata: { color: 'blue' },
    });
    assert.equal(info.etag, md5(data));
    assert.deepEqual(await get(s, 'inl', 'a/b'), data);
    const head = await s.headObject('inl', 'a/b');
    assert.equal(head.size, data.length);
    assert.equal(head.metadata.color, 'blue');
    assert.equal(head.headers.contentType, 'text/plain');
    const ranged = await s.getObject('inl', 'a/b', { range: { start: 6, end: 11 } });
    assert.equal((await readAll(ranged.body)).toString(), 'inline');
    const suffix = await s.getObject('inl', 'a/b', { range: { suffix: 5 } });
    assert.equal((await readAll(suffix.body)).toString(), 'world');
    await rejectsWith(s.getObject('inl', 'a/b', { range: { start: 100 } }), 'InvalidRange');
    const copied = await s.copyObject({ bucket: 'inl', key: 'a/b' }, { bucket: 'inl', key: 'c' }, {});
    assert.equal(copied.etag, md5(data));
    assert.equal((await s.headObject('inl', 'c')).metadata.color, 'blue');
    assert.deepEqual(await get(s, 'inl', 'c'), data);
    const empty = await s.putObject('inl', 'empty/', body(Buffer.alloc(0)), { size: 0 });
    assert.equal(empty.size, 0);
    assert.equal((await get(s, 'inl', 'empty/')).length, 0);
    assert.deepEqual(await dataFiles(paths[0]!), [], 'no data file for inline objects');
    const listed = await s.listObjects('inl', {});
    assert.deepEqual(
      listed.objects.map((o) => [o.key, o.size]),
      [
        ['a/b', data.length],
        ['c', data.length],
        ['empty/', 0],
      ],
    );
    await s.deleteObject('inl', 'a/b');
    await rejectsWith(s.getObject('inl', 'a/b'), 'NoSuchKey');
    assert.deepEqual(await dataFiles(paths[0]!, '.ts'), [], 'no tombstone files for inline objects');
    // A wrong declared size or Content-MD5 stores nothing.
    await rejectsWith(s.putObject('inl', 'x', body('abc'), { size: 4 }), 'IncompleteBody');
    await rejectsWith(
      s.putObject('inl', 'x', body('abc'), { size: 3, contentMd5: Buffer.alloc(16).toString('base64') }),
      'BadDigest',
    );
    await rejectsWith(s.headObject('inl', 'x'), 'NoSuchKey');
  });
});

test('inline versions: each version keeps its own body; a large overwrite drops nothing it should keep', async () => {
  await withStore(1, async (s, { paths }) => {
    await s.createBucket('ver', 'o');
    await s.setVersioning('ver', 'Enabled');
    const v1 = await s.putObject('ver', 'k', body('one'), { size: 3 });
    const v2 = await s.putObject('ver', 'k', body('two!'), { size: 4 });
    assert.equal((await get(s, 'ver', 'k')).toString(), 'two!');
    assert.equal((await get(s, 'ver', 'k', v1.versionId)).toString(), 'one');
    const versions = await s.listObjectVersions('ver', {});
    assert.deepEqual(
      versions.versions.map((v) => [v.versionId, v.isLatest]),
      [
        [v2.versionId, true],
        [v1.versionId, false],
      ],
    );
    await s.deleteObject('ver', 'k', { versionId: v2.versionId });
    assert.equal((await get(s, 'ver', 'k')).toString(), 'one');
    await s.deleteObject('ver', 'k');
    await rejectsWith(s.getObject('ver', 'k'), 'NoSuchKey');
    assert.equal((await get(s, 'ver', 'k', v1.versionId)).toString(), 'one');

    // Unversioned: a data-file object replaced by an inline one leaves no data file behind.
    await s.createBucket('plain', 'o');
    const big = Buffer.alloc(100 * 1024, 7);
    await s.putObject('plain', 'p', body(big), { size: big.length });
    assert.equal((await dataFiles(paths[0]!)).length, 1);
    await s.putObject('plain', 'p', body('small'), { size: 5 });
    assert.equal((await get(s, 'plain', 'p')).toString(), 'small');
    assert.equal((await dataFiles(paths[0]!)).length, 0, 'the replaced data file is removed');
    await s.putObject('plain', 'p', body(big), { size: big.length });
    assert.deepEqual(await get(s, 'plain', 'p'), big);
  });
});

test('an inline object survives a restart of the store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-inline-'));
  try {
    const devices = [0, 1, 2].map((i) => ({ id: `d${i}`, path: join(dir, `d${i}`), zone: `z${i}` }));
    const first = await openObjectStore({ devices, partPower: 6 });
    await first.createBucket('keep', 'o');
    await first.putObject('keep', 'k', body('kept bytes'), { size: 10 });
    await first.close();
    const second = await openObjectStore({ devices, partPower: 6 });
    try {
      assert.equal((await get(second, 'keep', 'k')).toString(), 'kept bytes');
      const ex = await second.explain('keep', 'k');
      assert.equal(ex.inline, true);
      assert.deepEqual(
        ex.files[0]!.copies.map((c) => c.state),
        ['ok', 'ok', 'ok'],
      );
      assert.ok(ex.files[0]!.copies.every((c) => c.path?.endsWith('.db')));
    } finally {
      await second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('R=3: a corrupted inline row is detected on read and served from another replica, and the auditor finds and repairs it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-inline-rot-'));
  const devices = [0, 1, 2].map((i) => ({ id: `d${i}`, path: join(dir, `d${i}`), zone: `z${i}` }));
  // The store holds its index databases exclusively: damage is done while it is closed.
  const withOpen = async (fn: (s: EngineObjectStore) => Promise<void>): Promise<void> => {
    const s = await openObjectStore({ devices, partPower: 6 });
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  };
  try {
    const data = Buffer.from('precious small object');
    let files: string[] = [];
    await withOpen(async (s) => {
      await s.createBucket('rot', 'o');
      await s.putObject('rot', 'k', body(data), { size: data.length });
      await s.putObject('rot', 'other', body('x'), { size: 1 });
      // In the order reads merge them: the first primary's copy is the one a read sees first.
      const order = (await s.explain('rot', 'k')).index.replicas.map((r) => Number(r.device.slice(1)));
      files = await Promise.all(order.map((d) => indexFile(s, devices[d]!.path, 'rot', 'k')));
    });

    corrupt(files[0]!, 'k');
    await withOpen(async (s) => {
      let ex = await s.explain('rot', 'k');
      assert.deepEqual(ex.files[0]!.copies.map((c) => c.state).sort(), ['corrupt', 'ok', 'ok']);
      assert.deepEqual(await get(s, 'rot', 'k'), data, 'served from an intact replica');
      ex = await s.explain('rot', 'k');
      assert.deepEqual(
        ex.files[0]!.copies.map((c) => c.state),
        ['ok', 'ok', 'ok'],
        'the read repaired the damaged copy',
      );
    });

    corrupt(files[1]!, 'k');
    await withOpen(async (s) => {
      const found = await s.auditOnce();
      assert.equal(found.lastPassCorrupt, 1);
      assert.equal(found.inlineRepaired, 1);
      const ex = await s.explain('rot', 'k');
      assert.deepEqual(
        ex.files[0]!.copies.map((c) => c.state),
        ['ok', 'ok', 'ok'],
      );
      assert.equal((await s.auditOnce()).lastPassCorrupt, 0);
    });

    // Every copy damaged: the read fails instead of serving bad bytes, and the auditor reports it.
    for (const f of files) corrupt(f, 'k');
    await withOpen(async (s) => {
      await rejectsWith(s.getObject('rot', 'k'), 'InternalError');
      const none = await s.auditOnce();
      assert.equal(none.lastPassCorrupt, 3);
      assert.equal(none.inlineRepaired, 0);
      assert.deepEqual(await get(s, 'rot', 'other'), Buffer.from('x'));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('inline rows ride along with index replication to a replaced device', async () => {
  await withStore(3, async (s, { paths }) => {
    await s.createBucket('rep', 'o');
    for (let i = 0; i < 20; i++) await s.putObject('rep', `k${i}`, body(`v${i}`), { size: `v${i}`.length });
    await rm(paths[2]!, { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(paths[2]!);
    await s.replicateOnce();
    for (let i = 0; i < 20; i++) {
      const ex = await s.explain('rep', `k${i}`);
      assert.deepEqual(
        ex.files[0]!.copies.map((c) => c.state),
        ['ok', 'ok', 'ok'],
        `k${i}`,
      );
    }
    assert.deepEqual(await dataFiles(paths[2]!), []);
  });
});
