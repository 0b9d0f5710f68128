import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { obj } from './contract/helpers.js';
import { SqliteStore } from './sqlite-store.js';

/** Opens a store whose reserve is `factor` times the free space of its file system now. */
async function storeWithReserve(factor: number): Promise<{ store: SqliteStore; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-reserve-'));
  const path = join(dir, 'state.db');
  const seeded = await SqliteStore.open(path, { compactIntervalMs: 0, reserveBytes: 0 });
  await seeded.create('pods', obj('kept'));
  await seeded.create('pods', obj('gone'));
  await seeded.close();
  const fs = statfsSync(dir);
  const store = await SqliteStore.open(path, {
    compactIntervalMs: 0,
    reserveBytes: fs.bavail * fs.bsize * factor,
  });
  return { store, dir };
}

test('sqlite: below the free-space reserve creates are refused with 507, updates and deletes go on', async () => {
  const { store, dir } = await storeWithReserve(1.5);
  try {
    await assert.rejects(
      store.create('pods', obj('new')),
      (err: Error & { code?: string; status?: number }) => {
        assert.equal(err.code, 'STORE_DISK_FULL');
        assert.equal(err.status, 507);
        assert.match(
          err.message,
          /^cannot create pods "new": .* free, below the reserve of .*; free some space/,
        );
        return true;
      },
    );
    const kept = await store.get('pods', 'default', 'kept');
    assert.ok(kept);
    const updated = await store.update('pods', {
      ...kept,
      metadata: { ...kept.metadata, labels: { a: 'b' } },
    });
    assert.deepEqual(updated.metadata.labels, { a: 'b' }, 'above half the reserve updates still run');
    await store.delete('pods', 'default', 'gone');
    assert.equal(await store.get('pods', 'default', 'new'), undefined, 'a refused create stored nothing');
    assert.equal(store.stats().reserveBytes > 0, true);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('sqlite: below half the reserve updates are refused too; deletes still free space', async () => {
  const { store, dir } = await storeWithReserve(1e6);
  try {
    const kept = await store.get('pods', 'default', 'kept');
    assert.ok(kept);
    await assert.rejects(store.update('pods', kept), {
      code: 'STORE_DISK_FULL',
      message: /^cannot update pods "kept"/,
    });
    const deleted = await store.delete('pods', 'default', 'gone');
    assert.equal(deleted.metadata.name, 'gone');
    assert.equal((await store.list('pods')).items.length, 1);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
