import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../common/clock.js';
import { WorkQueue } from './work-queue.js';

test('a key added twice is queued once', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.length, 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  await q.close();
});

test('a key added while in flight is handed out again only after done', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  const key = await q.get();
  assert.equal(key, 'a');
  q.add('a');
  assert.equal(q.length, 0, 'not handed to a second worker while in flight');
  q.done('a');
  assert.equal(q.length, 1);
  assert.equal(await q.get(), 'a');
  q.done('a');
  await q.close();
});

test('a waiting get receives the next key; close releases waiters', async () => {
  const q = new WorkQueue<string>();
  const pending = q.get();
  q.add('x');
  assert.equal(await pending, 'x');
  const waiting = q.get();
  await q.close();
  assert.equal(await waiting, undefined);
});

test('failures back off exponentially on the clock and forget resets', async () => {
  const clock = new ManualClock();
  const q = new WorkQueue<string>({ clock, baseDelayMs: 10, maxDelayMs: 50 });
  assert.equal(q.nextDelay('k'), 10);
  q.addRateLimited('k');
  assert.equal(q.delayedCount, 1);
  clock.advance(9);
  q.promoteDue();
  assert.equal(q.length, 0, 'not due before 10 ms');
  clock.advance(1);
  q.promoteDue();
  assert.equal(q.length, 1);
  assert.equal(await q.get(), 'k');
  q.done('k');
  assert.deepEqual([q.nextDelay('k')], [20]);
  q.addRateLimited('k'); // 20
  q.addRateLimited('k'); // 40, the earlier readyAt wins
  assert.equal(q.nextDelay('k'), 50, 'capped at maxDelayMs');
  assert.equal(q.retries('k'), 3);
  clock.advance(20);
  q.promoteDue();
  assert.equal(q.length, 1);
  q.forget('k');
  assert.equal(q.nextDelay('k'), 10);
  await q.close();
});
