import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../common/clock.js';
import { BucketIndex } from '../device/bucket-index.js';
import type { ObjectRow } from '../device/index-rows.js';
import { LocalDevice } from '../device/local-device.js';
import { IndexWriteBatcher } from './index-write-batch.js';

const row = (key: string, ts: string): ObjectRow => ({
  key,
  vid: 'null',
  ts,
  deleted: 0,
  vts: ts,
  size: 1,
  etag: '"x"',
  modified: 0,
  dm: 0,
  meta: '{}',
});

test('writes that arrive together share one commit per index, and each resolves once committed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-batch-'));
  const device = new LocalDevice('d1', dir, { clock: new ManualClock(0) });
  let commits = 0;
  // Counts commits on the real index class; restored below, called with its own `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = BucketIndex.prototype.applyBatch;
  BucketIndex.prototype.applyBatch = function (this: BucketIndex, items) {
    commits++;
    original.call(this, items);
  };
  try {
    await device.check();
    const batcher = new IndexWriteBatcher();
    const writes = Array.from({ length: 20 }, (_, i) =>
      batcher.write(device, 7, 'photos', { table: 'objects', rows: [row(`k${i}`, `00${i}`.slice(-3))] }),
    );
    writes.push(batcher.write(device, 8, 'other', { table: 'objects', rows: [row('z', '001')] }));
    await Promise.all(writes);
    assert.equal(commits, 2, 'one commit for each index file');
    const idx = await device.index(7, 'photos', false);
    assert.equal(idx?.latest({ limit: 100 }).length, 20);

    // A later write starts a new batch, after the previous one committed.
    await batcher.write(device, 7, 'photos', { table: 'objects', rows: [row('late', '100')] });
    assert.equal(commits, 3);
    assert.equal(idx?.latest({ limit: 100 }).length, 21);
  } finally {
    BucketIndex.prototype.applyBatch = original;
    await device.close();
    await rm(dir, { recursive: true, force: true });
  }
});
