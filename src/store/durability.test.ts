import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { SqliteStore } from './sqlite-store.js';

const burst = fileURLToPath(new URL('./testing/write-burst.js', import.meta.url));

/** Runs the burst child, SIGKILLs it once `acks` writes were acknowledged, returns the acknowledged names. */
async function burstAndKill(path: string, acks: number): Promise<string[]> {
  const child = spawn(process.execPath, [burst, path, '16'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: string[] = [];
  let partial = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    acked.push(...lines.filter((l) => l !== ''));
    if (acked.length >= acks && child.exitCode === null) child.kill('SIGKILL');
  });
  const signal = await exited;
  clearTimeout(timer);
  assert.equal(signal, 'SIGKILL', `the writer should die by SIGKILL mid-burst; stderr: ${stderr}`);
  assert.ok(
    acked.length >= acks,
    `only ${acked.length} acknowledged writes before the kill; stderr: ${stderr}`,
  );
  return acked;
}

test('every acknowledged write survives kill -9 of the writing process', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-durability-'));
  const path = join(dir, 'state.db');
  try {
    const acked = await burstAndKill(path, 1000);
    const store = await SqliteStore.open(path, { compactIntervalMs: 0 });
    try {
      const missing = [];
      for (const name of acked) {
        if ((await store.get('configmaps', 'burst', name)) === undefined) missing.push(name);
      }
      assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged writes lost`);
      const stored = (await store.list('configmaps', { namespace: 'burst' })).items.length;
      assert.ok(stored >= acked.length);
      assert.equal(await store.currentRevision(), stored, 'revisions are dense: one per committed create');
      // The store is writable again and continues the revision sequence.
      const next = await store.create('configmaps', { metadata: { name: 'after', namespace: 'burst' } });
      assert.equal(next.metadata.resourceVersion, String(stored + 1));
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
