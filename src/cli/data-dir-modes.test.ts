import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from './server.js';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

test('the server makes its data and storage directories private, also when they exist', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-dirs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  const extra = join(dir, 'disk2');
  for (const d of [join(dataDir, 'storage', 'dev0'), extra]) mkdirSync(d, { recursive: true });
  for (const d of [dataDir, join(dataDir, 'storage'), join(dataDir, 'storage', 'dev0'), extra])
    chmodSync(d, 0o755);
  const server = await startServer({ dataDir, apiPort: 0, s3Port: 0 });
  t.after(() => server.close());
  assert.equal(mode(dataDir), '700');
  assert.equal(mode(join(dataDir, 'storage')), '700');
  assert.equal(mode(join(dataDir, 'storage', 'dev0')), '700');
  assert.equal(mode(join(dataDir, 'state.db')), '600');
  await server.s3?.engine.addDevice({ path: extra });
  assert.equal(mode(extra), '700', 'a device added later too');
});
