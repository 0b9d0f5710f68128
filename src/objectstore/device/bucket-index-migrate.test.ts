import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BucketIndex } from './bucket-index.js';

test('an account index written before the access column is migrated in place, its rows kept', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-index-migrate-'));
  try {
    const file = join(dir, 'account.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE buckets (name TEXT PRIMARY KEY, ts TEXT NOT NULL, deleted INTEGER NOT NULL,
      owner TEXT NOT NULL, created INTEGER NOT NULL, versioning TEXT NOT NULL, cors TEXT NOT NULL)`);
    old.prepare(`INSERT INTO buckets VALUES ('b', '1', 0, 'alice', 1, 'Off', '')`).run();
    old.close();
    const idx = new BucketIndex(file);
    try {
      assert.equal(idx.bucket('b')?.access, '');
      assert.equal(idx.bucket('b')?.owner, 'alice');
      // A row from a replica that predates the column applies too.
      const { access: _dropped, ...legacy } = { ...idx.bucket('b')!, ts: '2' };
      idx.apply('buckets', [legacy as never]);
      assert.equal(idx.bucket('b')?.ts, '2');
      idx.apply('buckets', [{ ...idx.bucket('b')!, ts: '3', access: '{"ownership":"ObjectWriter"}' }]);
      assert.equal(idx.bucket('b')?.access, '{"ownership":"ObjectWriter"}');
    } finally {
      await idx.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
