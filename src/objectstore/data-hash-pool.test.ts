import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { HASH_RING_BYTES, HashPool, inlineMd5 } from './data-hash-pool.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

test('a pooled MD5 equals node:crypto over odd chunk sizes, arrays of chunks and ring wrap-arounds', async () => {
  const pool = new HashPool({ workers: 1 });
  try {
    // More than two rings' worth, in pieces that do not divide the ring size.
    const data = randomBytes(2 * HASH_RING_BYTES + 12_345);
    const job = pool.md5();
    const pending: Array<Promise<void>> = [];
    let off = 0;
    for (let i = 0; off < data.length; i++) {
      const n = Math.min(data.length - off, i % 3 === 0 ? 1_000_003 : 65_536);
      const piece = data.subarray(off, off + n);
      // Every other update hands over an array of two pieces.
      pending.push(job.update(i % 2 === 0 ? piece : [piece.subarray(0, 7), piece.subarray(7)]));
      off += n;
    }
    await Promise.all(pending);
    assert.equal((await job.digest()).toString('hex'), md5(data));
    const empty = pool.md5();
    assert.equal((await empty.digest()).toString('hex'), md5(Buffer.alloc(0)));
  } finally {
    await pool.close();
  }
});

test('concurrent jobs on two threads stay separate; a cancelled job leaves the pool usable', async () => {
  const pool = new HashPool({ workers: 2 });
  try {
    const bodies = [randomBytes(3 * 1024 * 1024), randomBytes(5 * 1024 * 1024 + 1), randomBytes(17)];
    const jobs = bodies.map(() => pool.md5());
    const cancelled = pool.md5();
    void cancelled.update(randomBytes(1024 * 1024)).catch(() => undefined);
    cancelled.cancel();
    await Promise.all(jobs.map((j, i) => j.update(bodies[i]!)));
    const digests = await Promise.all(jobs.map((j) => j.digest()));
    assert.deepEqual(
      digests.map((d) => d.toString('hex')),
      bodies.map(md5),
    );
    await assert.rejects(cancelled.digest(), RangeError);
    const after = pool.md5();
    await after.update(bodies[0]!);
    assert.equal((await after.digest()).toString('hex'), md5(bodies[0]!));
  } finally {
    await pool.close();
  }
});

test('an idle thread ends after idleMs and the next job starts a new one', async () => {
  const pool = new HashPool({ workers: 1, idleMs: 20 });
  try {
    const data = randomBytes(300_000);
    const first = pool.md5();
    await first.update(data);
    await first.digest();
    assert.equal(pool.threads(), 1);
    for (let i = 0; i < 200 && pool.threads() > 0; i++) await sleep(25);
    assert.equal(pool.threads(), 0);
    const second = pool.md5();
    await second.update(data);
    assert.equal((await second.digest()).toString('hex'), md5(data));
  } finally {
    await pool.close();
  }
});

test('the in-thread MD5 has the same interface and result', async () => {
  const data = randomBytes(1000);
  const job = inlineMd5();
  await job.update([data.subarray(0, 10), data.subarray(10)]);
  assert.equal((await job.digest()).toString('hex'), md5(data));
});
