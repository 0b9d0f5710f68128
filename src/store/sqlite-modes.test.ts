import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from './sqlite-store.js';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

test('sqlite store: the database, its WAL and shm are mode 0600, also when they were wider', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-modes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'state.db');
  const configMap = (name: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default' },
  });
  const fresh = await SqliteStore.open(path, { compactIntervalMs: 0 });
  await fresh.create('configmaps', configMap('a'));
  // With locking_mode=EXCLUSIVE SQLite keeps the WAL index in memory: there is no shm file.
  const files = [path, `${path}-wal`, `${path}-shm`].filter((f) => existsSync(f));
  assert.ok(files.includes(`${path}-wal`));
  for (const f of files) assert.equal(mode(f), '600', f);
  await fresh.close();

  for (const f of files) {
    writeFileSync(f, '', { flag: 'a' });
    chmodSync(f, 0o644);
  }
  const reopened = await SqliteStore.open(path, { compactIntervalMs: 0 });
  for (const f of files) assert.equal(mode(f), '600', f);
  assert.ok(await reopened.get('configmaps', 'default', 'a'), 'the data is still there');
  await reopened.close();
});
