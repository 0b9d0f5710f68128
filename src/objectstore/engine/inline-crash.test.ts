import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openObjectStore } from './engine-store.js';
import { readAll } from './test-helpers.js';
import { bodyOf } from './test-inline-writer.js';

test('kill -9 during a burst of small PUTs loses no acknowledged object', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-crash-'));
  const script = fileURLToPath(new URL('./test-inline-writer.js', import.meta.url));
  const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const acked: string[] = [];
  try {
    const lines = createInterface({ input: child.stdout });
    // Kill after 300 acknowledgements (or 30 s, whichever comes first) while writers are busy.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 30_000);
      lines.on('line', (line) => {
        if (line.startsWith('ack ')) acked.push(line.slice(4));
        if (acked.length >= 300) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    child.kill('SIGKILL');
    await exited;
    lines.close();
    assert.ok(acked.length > 0, 'the writer acknowledged some objects before it was killed');
    const store = await openObjectStore({
      devices: [0, 1, 2].map((i) => ({ id: `d${i}`, path: join(dir, `d${i}`), zone: `z${i}` })),
      partPower: 6,
    });
    try {
      for (const key of acked) {
        const got = await readAll((await store.getObject('crash', key)).body);
        assert.deepEqual(got, bodyOf(key), key);
      }
    } finally {
      await store.close();
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
});
