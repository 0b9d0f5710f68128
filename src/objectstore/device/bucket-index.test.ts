import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BucketIndex } from './bucket-index.js';
import type { ObjectRow } from './index-rows.js';

function row(key: string, vid: string, ts: string, extra: Partial<ObjectRow> = {}): ObjectRow {
  return {
    key,
    vid,
    ts,
    deleted: 0,
    vts: ts,
    size: 1,
    etag: '"e"',
    modified: 0,
    dm: 0,
    meta: '',
    ...extra,
  };
}

async function withIndex(fn: (idx: BucketIndex, file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-index-'));
  const idx = new BucketIndex(join(dir, 'i.db'));
  try {
    await fn(idx, join(dir, 'i.db'));
  } finally {
    await idx.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('bucket index: last writer wins, the inline body follows its row, latest picks the newest version', async () => {
  await withIndex(async (idx) => {
    idx.apply('objects', [row('a', 'v1', '001', { data: Buffer.from('one') })]);
    idx.apply('objects', [row('a', 'v2', '002', { data: Buffer.from('two') })]);
    idx.apply('objects', [row('b', 'null', '003', { data: Buffer.from('bee') })]);
    // An older write of the same version changes nothing, body included.
    idx.apply('objects', [row('b', 'null', '000', { data: Buffer.from('old') })]);
    await idx.durable();
    assert.deepEqual(
      idx.latest({ limit: 10 }).map((r) => [r.key, r.vid]),
      [
        ['a', 'v2'],
        ['b', 'null'],
      ],
    );
    assert.equal(idx.inlineEntry('b', 'null')?.data.toString(), 'bee');
    // A newer row without a body (a data file version, or a tombstone) removes the inline body.
    idx.apply('objects', [row('b', 'null', '004')]);
    assert.equal(idx.inlineEntry('b', 'null'), undefined);
    idx.apply('objects', [row('a', 'v2', '005', { deleted: 1, data: Buffer.from('two') })]);
    assert.equal(idx.inlineEntry('a', 'v2'), undefined);
    assert.deepEqual(
      idx.latest({ limit: 10 }).map((r) => [r.key, r.vid]),
      [
        ['a', 'v1'],
        ['b', 'null'],
      ],
    );
    const exported = idx.exportRows('objects').find((r) => r.vid === 'v1');
    assert.equal(exported?.data?.toString(), 'one', 'exported rows carry their inline body');
  });
});

test('bucket index: the fingerprint tracks row counts through inserts, updates and purges', async () => {
  await withIndex(async (idx) => {
    const empty = idx.fingerprint();
    idx.apply('objects', [row('a', 'null', '001'), row('b', 'null', '002')]);
    const two = idx.fingerprint();
    assert.notEqual(two, empty);
    assert.match(two, /^0:\/2:002\//);
    idx.apply('objects', [row('a', 'null', '003', { deleted: 1 })]);
    assert.match(idx.fingerprint(), /^0:\/2:003\//);
    assert.equal(idx.purgeDeleted('004'), 1);
    assert.match(idx.fingerprint(), /^0:\/1:002\//);
    const before = idx.fingerprint();
    await idx.close();
    const other = new BucketIndex(idx.file);
    try {
      assert.equal(other.fingerprint(), before, 'a fresh handle counts the same');
    } finally {
      await other.close();
    }
  });
});
