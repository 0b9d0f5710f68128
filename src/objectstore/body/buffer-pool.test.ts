import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BufferPool } from './buffer-pool.js';

test('a buffer pool reuses buffers of its size, keeps at most max, and lets them go when idle', async () => {
  const pool = new BufferPool(1024, 2, 30);
  const a = pool.take();
  assert.equal(a.byteLength, 1024);
  pool.give(a);
  assert.equal(pool.take(), a, 'the kept buffer comes back');
  pool.give(new ArrayBuffer(512));
  assert.equal(pool.kept(), 0, 'a buffer of another size is not kept');
  for (let i = 0; i < 3; i++) pool.give(new ArrayBuffer(1024));
  assert.equal(pool.kept(), 2);
  for (let i = 0; i < 100 && pool.kept() > 0; i++) await sleep(10);
  assert.equal(pool.kept(), 0, 'idle buffers are let go');
});
