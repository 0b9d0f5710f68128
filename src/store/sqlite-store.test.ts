import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ManualClock } from '../common/clock.js';
import { callRejectsWith, obj, Recorder } from './contract/helpers.js';
import { SqliteStore } from './sqlite-store.js';
import { runStoreContract } from './store-contract.js';

async function tempPath(): Promise<{ path: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-store-'));
  return { dir, path: join(dir, 'state.db') };
}

runStoreContract('sqlite', async () => {
  const { dir, path } = await tempPath();
  return {
    store: await SqliteStore.open(path, { compactIntervalMs: 0 }),
    reopen: () => SqliteStore.open(path, { compactIntervalMs: 0 }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

test('sqlite: reopening keeps objects, the revision and the compaction point', async () => {
  const { dir, path } = await tempPath();
  try {
    let store = await SqliteStore.open(path, { compactIntervalMs: 0 });
    for (let i = 0; i < 10; i++) await store.create('pods', obj(`p${i}`));
    await store.compact(5);
    await store.delete('pods', 'default', 'p9');
    const rev = await store.currentRevision();
    await store.close();
    store = await SqliteStore.open(path, { compactIntervalMs: 0 });
    try {
      assert.equal(await store.currentRevision(), rev);
      assert.equal((await store.list('pods')).items.length, 9);
      assert.equal(store.stats().compactedRevision, 5);
      await callRejectsWith(
        () => store.watch('pods', { fromRevision: 4 }, () => undefined),
        'STORE_REVISION_COMPACTED',
        410,
      );
      const rec = await Recorder.start(store, 'pods', { fromRevision: 9 });
      const events = await rec.waitFor(2);
      assert.deepEqual(
        events.map((e) => `${e.type}@${e.revision}`),
        ['ADDED@10', 'DELETED@11'],
      );
      await rec.close();
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('sqlite: a second opener of the same file is refused with STORE_LOCKED', async () => {
  const { dir, path } = await tempPath();
  const store = await SqliteStore.open(path, { compactIntervalMs: 0 });
  try {
    await callRejectsWith(() => SqliteStore.open(path, { compactIntervalMs: 0 }), 'STORE_LOCKED', 503);
    await store.create('pods', obj('still-works'));
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('sqlite: history stays bounded by historyLimit after many writes', async () => {
  const { dir, path } = await tempPath();
  const store = await SqliteStore.open(path, { compactIntervalMs: 0, historyLimit: 50 });
  try {
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.create('pods', obj(`r${round}-${i}`))));
    }
    const stats = store.stats();
    assert.equal(stats.revision, 1000);
    assert.ok(stats.historyRows <= 50 + 5 + 50, `history rows ${stats.historyRows}`);
    assert.ok(stats.compactedRevision >= 1000 - 50 - 5 - 50);
    await callRejectsWith(
      () => store.watch('pods', { fromRevision: 0 }, () => undefined),
      'STORE_REVISION_COMPACTED',
      410,
    );
    const rec = await Recorder.start(store, 'pods', { fromRevision: 1000 - 50 });
    assert.equal((await rec.waitFor(50)).length, 50);
    await rec.close();
    assert.equal((await store.list('pods')).items.length, 1000, 'compaction drops history, never objects');
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('sqlite: the database and WAL stay bounded under update churn', async () => {
  const { dir, path } = await tempPath();
  const store = await SqliteStore.open(path, {
    compactIntervalMs: 0,
    historyLimit: 100,
    synchronous: 'normal',
  });
  try {
    const payload = 'x'.repeat(4000);
    const objects = 50;
    for (let i = 0; i < objects; i++)
      await store.create('configmaps', obj(`cm${i}`, 'default', {}, { data: { payload, n: '0' } }));
    let maxWal = 0;
    const rounds = 120; // 6,000 updates of ~4 KB: about 48 MB of history if nothing were reclaimed.
    for (let round = 1; round <= rounds; round++) {
      await Promise.all(
        Array.from({ length: objects }, (_, i) =>
          store.update('configmaps', obj(`cm${i}`, 'default', {}, { data: { payload, n: String(round) } })),
        ),
      );
      maxWal = Math.max(maxWal, store.stats().walBytes);
      if (round % 40 === 0) await store.maintenance();
    }
    await store.maintenance();
    const stats = store.stats();
    assert.ok(stats.historyRows <= 100 + 10 + objects, `history rows ${stats.historyRows}`);
    assert.ok(maxWal < 16 * 1024 * 1024, `WAL grew to ${maxWal} bytes`);
    assert.equal(stats.walBytes, 0, 'maintenance truncates the WAL');
    assert.ok(stats.databaseBytes < 8 * 1024 * 1024, `database file is ${stats.databaseBytes} bytes`);
    const cm = await store.get('configmaps', 'default', 'cm7');
    assert.equal((cm?.data as { n: string }).n, String(rounds));
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('sqlite: the maintenance timer runs on its interval and reads the injected clock', async () => {
  const { dir, path } = await tempPath();
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const store = await SqliteStore.open(path, { compactIntervalMs: 5, historyLimit: 10, clock });
  try {
    for (let i = 0; i < 15; i++) await store.create('pods', obj(`p${i}`));
    const deadline = Date.now() + 10_000;
    while (store.stats().lastMaintenanceMs === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(store.stats().lastMaintenanceMs, clock.now());
    assert.equal(store.stats().compactedRevision, 5);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('sqlite: a throwing watch callback neither stops its watch nor the store', async () => {
  const { dir, path } = await tempPath();
  const store = await SqliteStore.open(path, { compactIntervalMs: 0 });
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const seen: number[] = [];
    const watcher = await store.watch('pods', { fromRevision: 0 }, (e) => {
      seen.push(e.revision);
      throw new Error('consumer bug');
    });
    await store.create('pods', obj('a'));
    await store.create('pods', obj('b'));
    const rec = await Recorder.start(store, 'pods', { fromRevision: 0 });
    await rec.waitFor(2);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [1, 2]);
    assert.ok(
      warnings.some((w) => w.includes('consumer bug')),
      warnings.join('; '),
    );
    await watcher.close();
    await rec.close();
  } finally {
    process.off('warning', onWarning);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('sqlite: writes queued when close() is called are committed; later calls reject', async () => {
  const { dir, path } = await tempPath();
  try {
    const store = await SqliteStore.open(path, { compactIntervalMs: 0 });
    const pending = store.create('pods', obj('last-minute'));
    await store.close();
    assert.equal((await pending).metadata.name, 'last-minute');
    await callRejectsWith(() => store.get('pods', 'default', 'x'), 'STORE_CLOSED', 503);
    await callRejectsWith(() => store.create('pods', obj('late')), 'STORE_CLOSED', 503);
    const again = await SqliteStore.open(path, { compactIntervalMs: 0 });
    assert.ok(await again.get('pods', 'default', 'last-minute'));
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('sqlite: a long replay runs in chunks, never blocks writers, survives compaction and misses nothing', async () => {
  const { dir, path } = await tempPath();
  const store = await SqliteStore.open(path, { compactIntervalMs: 0 });
  try {
    const total = 3000;
    for (let round = 0; round < total / 500; round++) {
      await Promise.all(Array.from({ length: 500 }, (_, i) => store.create('pods', obj(`h${round}-${i}`))));
    }
    const revisions: number[] = [];
    const rec = await Recorder.start(store, 'pods', { fromRevision: 0 });
    const watcher = rec;
    const during = await store.create('pods', obj('during-replay'));
    assert.ok(rec.events.length < total, `the write waited for ${rec.events.length} replayed events`);
    // Compacting everything while the replay is under way: the running watch still gets every row.
    await store.compact(await store.currentRevision());
    await callRejectsWith(
      () => store.watch('pods', { fromRevision: 0 }, () => undefined),
      'STORE_REVISION_COMPACTED',
      410,
    );
    const after = await store.create('pods', obj('after-compaction'));
    const events = await rec.waitFor(total + 2);
    for (const e of events) revisions.push(e.revision);
    const expected = Array.from({ length: total + 2 }, (_, i) => i + 1);
    assert.deepEqual(revisions, expected);
    assert.equal(events[total]?.object.metadata.name, during.metadata.name);
    assert.equal(events[total + 1]?.revision, Number(after.metadata.resourceVersion));
    await watcher.close();
    // Once no watch replays, the next compaction removes the rows the watch held back.
    await store.maintenance();
    assert.ok(store.stats().historyRows <= 1, `history rows ${store.stats().historyRows}`);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('sqlite: a bad write fails alone; the rest of its group commit goes through', async () => {
  const { dir, path } = await tempPath();
  const store = await SqliteStore.open(path, { compactIntervalMs: 0 });
  try {
    await store.create('pods', obj('taken'));
    const [good, bigint, nameless, taken, good2] = await Promise.allSettled([
      store.create('pods', obj('good')),
      store.create('pods', obj('bigint', 'default', {}, { spec: { n: 1n } })),
      store.create('pods', { metadata: {} }),
      store.create('pods', obj('taken')),
      store.create('pods', obj('good2')),
    ]);
    assert.equal(good.status, 'fulfilled');
    assert.equal(good2.status, 'fulfilled');
    for (const [r, code] of [
      [bigint, 'STORE_INVALID_OBJECT'],
      [nameless, 'STORE_INVALID_OBJECT'],
      [taken, 'STORE_ALREADY_EXISTS'],
    ] as const) {
      assert.equal(r.status, 'rejected');
      assert.equal((r.reason as { code?: string }).code, code);
    }
    assert.equal(store.stats().commits, 2, 'the five writes shared one transaction');
    assert.equal(await store.currentRevision(), 3, 'failed writes use no revision');
    assert.equal(
      (good2 as PromiseFulfilledResult<{ metadata: { resourceVersion?: string } }>).value.metadata
        .resourceVersion,
      '3',
    );
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
