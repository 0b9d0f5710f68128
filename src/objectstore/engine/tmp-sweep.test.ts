import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openObjectStore } from './engine-store.js';

test('a crashed upload leaves its temp file; the next owner of the device sweeps it at start', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-sweep-'));
  const device = join(dir, 'd0');
  const script = fileURLToPath(new URL('./test-stalled-upload.js', import.meta.url));
  const child = spawn(process.execPath, [script, device], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
  });
  const lines = createInterface({ input: child.stdout });
  const stalled = await new Promise<boolean>((resolve) => {
    lines.on('line', (line) => line === 'stalled' && resolve(true));
    child.once('exit', () => resolve(false));
  });
  lines.close();
  assert.ok(stalled, 'the child started an upload');
  await assert.rejects(
    openObjectStore({ devices: [{ id: 'd0', path: device }], partPower: 4 }),
    /storage device .*d0 is in use by another process/,
  );
  assert.equal(readdirSync(join(device, 'tmp')).length, 1, 'a second opener swept nothing');

  child.kill('SIGKILL');
  await exited;
  assert.equal(readdirSync(join(device, 'tmp')).length, 1, 'the crash left the upload behind');
  const store = await openObjectStore({ devices: [{ id: 'd0', path: device }], partPower: 4 });
  try {
    assert.deepEqual(readdirSync(join(device, 'tmp')), [], 'swept at start');
    await assert.rejects(store.getObject('crash', 'big'), { code: 'NoSuchKey' });
    assert.ok(existsSync(join(device, 'device.lock')));
  } finally {
    await store.close();
  }
});
