import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskQueue } from './task-queue.js';

test('a key is queued once, and runs again when added while it runs', async () => {
  const runs: string[] = [];
  let release: (() => void) | undefined;
  const q = new TaskQueue(
    async (key) => {
      runs.push(key);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
    },
    { concurrency: 1 },
  );
  q.add('a');
  q.add('a'); // running: marked to run again
  q.add('a'); // already marked
  q.add('b');
  q.add('b'); // queued: no second entry
  while (release === undefined) await new Promise((r) => setImmediate(r));
  release();
  await q.idle();
  assert.deepEqual(runs.sort(), ['a', 'a', 'b']);
  await q.close();
});

test('at most `concurrency` tasks run at once', async () => {
  let running = 0;
  let most = 0;
  const q = new TaskQueue(
    async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r));
      running--;
    },
    { concurrency: 3 },
  );
  for (let i = 0; i < 20; i++) q.add(String(i));
  await q.idle();
  assert.equal(most, 3);
  await q.close();
});

test('a failing task is retried after a back-off and its errors are reported', async () => {
  let attempts = 0;
  const errors: string[] = [];
  const q = new TaskQueue(
    () => {
      attempts++;
      return attempts < 3 ? Promise.reject(new Error(`try ${attempts}`)) : Promise.resolve();
    },
    { baseDelayMs: 1, onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`) },
  );
  q.add('k');
  await q.idle();
  assert.equal(attempts, 3);
  assert.deepEqual(errors, ['k: try 1', 'k: try 2']);
  await q.close();
});

test('close drops queued work and waits for running tasks', async () => {
  const done: string[] = [];
  const q = new TaskQueue(
    async (key) => {
      await new Promise((r) => setImmediate(r));
      done.push(key);
    },
    { concurrency: 1 },
  );
  q.add('first');
  q.add('second');
  await q.close();
  assert.deepEqual(done, ['first']);
  q.add('third');
  assert.equal(q.size, 0);
});
