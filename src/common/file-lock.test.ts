import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { withFileLock } from './file-lock.js';

test('holders of a file lock run one at a time', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const lock = join(dir, 'x.lock');
  const counter = join(dir, 'n');
  await writeFile(counter, '0');
  // Read, yield, write: without the lock, concurrent holders would lose increments.
  const bump = () =>
    withFileLock(lock, async () => {
      const n = Number(await readFile(counter, 'utf8'));
      await new Promise((r) => setImmediate(r));
      await writeFile(counter, String(n + 1));
    });
  await Promise.all(Array.from({ length: 20 }, bump));
  assert.equal(await readFile(counter, 'utf8'), '20');
  await assert.rejects(readFile(lock), { code: 'ENOENT' }, 'released');
});

test('a lock whose holder is gone is taken over; a live holder is waited for', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const lock = join(dir, 'x.lock');
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  await writeFile(lock, gone.stdout.toString());
  assert.equal(await withFileLock(lock, () => Promise.resolve('ran')), 'ran');

  await writeFile(lock, String(process.pid));
  let ran = false;
  const waiting = withFileLock(lock, () => {
    ran = true;
    return Promise.resolve();
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(ran, false, 'it waits while the holder lives');
  await rm(lock);
  await waiting;
  assert.equal(ran, true);
});
