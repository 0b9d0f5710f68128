import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as zlib from 'node:zlib';
import { HASH_BUFFER_BYTES, HashPool, inlineMd5 } from './data-hash-pool.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
const crc32 = (b: Buffer): string | undefined => nativeCrc32?.(b).toString(16).padStart(8, '0');

test('a pooled MD5 and CRC-32 equal node:crypto and zlib over odd chunk sizes, arrays of chunks and buffer boundaries', async () => {
  const pool = new HashPool({ workers: 1 });
  try {
    // More than the buffers one job may have at the thread, in pieces that do not divide their size.
    const data = randomBytes(5 * HASH_BUFFER_BYTES + 12_345);
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
    const got = await job.digest();
    assert.equal(got.md5.toString('hex'), md5(data));
    assert.equal(got.crc32, crc32(data));
    const empty = pool.md5();
    assert.equal((await empty.digest()).md5.toString('hex'), md5(Buffer.alloc(0)));
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
      digests.map((d) => d.md5.toString('hex')),
      bodies.map(md5),
    );
    await assert.rejects(cancelled.digest(), RangeError);
    const after = pool.md5();
    await after.update(bodies[0]!);
    assert.equal((await after.digest()).md5.toString('hex'), md5(bodies[0]!));
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
    assert.equal((await second.digest()).md5.toString('hex'), md5(data));
  } finally {
    await pool.close();
  }
});

test('a piece reader reads a file on the thread in moved buffers and keeps its CRC-32', async () => {
  const pool = new HashPool({ workers: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'stratus-hashpool-'));
  try {
    const data = randomBytes(3 * HASH_BUFFER_BYTES + 777);
    await writeFile(join(dir, 'f'), data);
    const fh = await open(join(dir, 'f'), 'r');
    try {
      const reader = pool.reader(fh.fd);
      const got: Buffer[] = [];
      let buf = new ArrayBuffer(HASH_BUFFER_BYTES);
      for (let pos = 0; ;) {
        const r = await reader.read(buf, HASH_BUFFER_BYTES, pos);
        if (r.n === 0) break;
        got.push(Buffer.from(r.buf.slice(0, r.n)));
        pos += r.n;
        buf = r.buf;
      }
      assert.ok(Buffer.concat(got).equals(data));
      assert.equal(await reader.crc32(), crc32(data));
      // A read that fails (a descriptor that is not open) rejects rather than ending the thread.
      const bad = pool.reader(-1);
      await assert.rejects(bad.read(new ArrayBuffer(16), 16, 0), /reading a data file failed/);
      await bad.close();
      const after = pool.md5();
      await after.update(data);
      assert.equal((await after.digest()).md5.toString('hex'), md5(data));
    } finally {
      await fh.close();
    }
  } finally {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('the in-thread MD5 has the same interface and result', async () => {
  const data = randomBytes(1000);
  const job = inlineMd5();
  await job.update([data.subarray(0, 10), data.subarray(10)]);
  const got = await job.digest();
  assert.equal(got.md5.toString('hex'), md5(data));
  assert.equal(got.crc32, crc32(data));
});

test('closing the pool under an update in flight fails that update, and nothing else', async () => {
  const pool = new HashPool({ workers: 1 });
  const job = pool.md5();
  // Several buffers at the thread at once: each must fail quietly, not as an unhandled rejection.
  const pending = job.update(randomBytes(3 * HASH_BUFFER_BYTES + 1));
  await pool.close();
  await assert.rejects(pending);
  await sleep(50);
});
