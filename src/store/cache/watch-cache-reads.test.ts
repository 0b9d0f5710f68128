import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KubeObject } from '../../common/kube-object.js';
import { callRejectsWith, obj, Recorder, summary } from '../contract/helpers.js';
import { SqliteStore } from '../sqlite-store.js';
import type { CacheEvent } from './cache-event.js';
import { WatchCache, type WatchCacheOptions } from './watch-cache.js';

async function withCache(
  options: WatchCacheOptions,
  body: (cache: WatchCache, sqlite: SqliteStore) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-cache-'));
  const sqlite = await SqliteStore.open(join(dir, 'state.db'), { compactIntervalMs: 0 });
  const cache = new WatchCache(sqlite, options);
  try {
    await body(cache, sqlite);
  } finally {
    await cache.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const pod = (name: string, nodeName: string, labels: Record<string, string> = {}): KubeObject =>
  obj(name, 'default', labels, { spec: { nodeName } });

const names = (items: ReadonlyArray<{ name: string }>): string[] => items.map((i) => i.name);

test('gets and lists are served from memory: the store sees no read after loading', () =>
  withCache({}, async (cache, sqlite) => {
    for (let i = 0; i < 5; i++)
      await cache.create('configmaps', obj(`cm${i}`, 'default', { i: String(i % 2) }));
    await cache.start(['configmaps']);
    const before = sqlite.stats();
    const got = await cache.get('configmaps', 'default', 'cm3');
    assert.equal(got?.metadata.name, 'cm3');
    assert.deepEqual(names((await cache.listCached('configmaps', { labelSelector: 'i=1' })).items), [
      'cm1',
      'cm3',
    ]);
    assert.equal((await cache.list('configmaps', { limit: 2 })).items.length, 2);
    // A write made straight to the store is seen by the next read (a consistent read).
    await sqlite.create('configmaps', obj('direct'));
    assert.ok(await cache.get('configmaps', 'default', 'direct'));
    const after = sqlite.stats();
    assert.equal(after.gets, before.gets, 'gets that reached the store');
    assert.equal(after.lists, before.lists, 'lists that reached the store');
  }));

test('resourceVersion: 0 reads what is held, a later one waits, one never reached is 504', () =>
  withCache({ tooLargeWaitMs: 200 }, async (cache) => {
    const a = await cache.create('configmaps', obj('a'));
    const rv = Number(a.metadata.resourceVersion);
    const any = await cache.listCached('configmaps', {}, { kind: 'any' });
    assert.ok(any.revision >= rv);
    const notOlder = await cache.getCached('configmaps', 'default', 'a', {
      kind: 'notOlderThan',
      revision: rv,
    });
    assert.equal(notOlder?.revision, rv);
    const future = rv + 1000;
    const err = await callRejectsWith(
      () => cache.listCached('configmaps', {}, { kind: 'notOlderThan', revision: future }),
      'STORE_TOO_LARGE_RESOURCE_VERSION',
      504,
    );
    assert.match(err.message, new RegExp(`Too large resource version: ${future}, current: ${rv}`));
  }));

test('Exact lists show the state at that revision; older than the window is 410', () =>
  withCache({ historySize: 4 }, async (cache) => {
    await cache.start(['configmaps']);
    const a = await cache.create('configmaps', obj('a', 'default', {}, { data: { v: '1' } }));
    const at = Number(a.metadata.resourceVersion);
    await cache.create('configmaps', obj('b'));
    await cache.update('configmaps', { ...a, data: { v: '2' } });
    await cache.delete('configmaps', 'default', 'a');
    const exact = await cache.listCached('configmaps', {}, { kind: 'exact', revision: at });
    assert.equal(exact.revision, at);
    assert.deepEqual(names(exact.items), ['a']);
    assert.deepEqual((JSON.parse(exact.items[0]?.json ?? '{}') as KubeObject).data, { v: '1' });
    assert.deepEqual(names((await cache.listCached('configmaps')).items), ['b']);
    for (let i = 0; i < 4; i++) await cache.create('configmaps', obj(`push${i}`));
    await callRejectsWith(
      () => cache.listCached('configmaps', {}, { kind: 'exact', revision: at }),
      'STORE_REVISION_COMPACTED',
      410,
    );
  }));

test('pages are one snapshot: writes between pages do not show in later pages', () =>
  withCache({}, async (cache) => {
    for (const n of ['a', 'b', 'c', 'd', 'e'])
      await cache.create('configmaps', obj(n, 'default', {}, { data: { v: '1' } }));
    const p1 = await cache.list('configmaps', { limit: 2 });
    assert.deepEqual(
      p1.items.map((o) => o.metadata.name),
      ['a', 'b'],
    );
    await cache.delete('configmaps', 'default', 'c');
    await cache.create('configmaps', obj('bb'));
    await cache.create('configmaps', obj('f'));
    const d = (await cache.get('configmaps', 'default', 'd')) as KubeObject;
    await cache.update('configmaps', { ...d, data: { v: '2' } });
    const p2 = await cache.list('configmaps', { limit: 2, continue: p1.continue as string });
    assert.equal(p2.revision, p1.revision);
    assert.deepEqual(
      p2.items.map((o) => o.metadata.name),
      ['c', 'd'],
    );
    assert.deepEqual(p2.items[1]?.data, { v: '1' }, 'd as it was at the first page');
    const p3 = await cache.list('configmaps', { limit: 2, continue: p2.continue as string });
    assert.deepEqual(
      p3.items.map((o) => o.metadata.name),
      ['e'],
    );
    assert.equal(p3.continue, undefined);
  }));

test('spec.nodeName: lists come from the index, watches get only their node’s pods, binding enters', () =>
  withCache({ indexes: { pods: ['spec.nodeName'] } }, async (cache) => {
    await cache.start(['pods']);
    for (let i = 0; i < 6; i++) await cache.create('pods', pod(`p${i}`, `n${i % 3}`));
    const listed = await cache.listCached('pods', { fieldSelector: 'spec.nodeName=n1' });
    assert.deepEqual(names(listed.items), ['p1', 'p4']);
    const unbound = await cache.create('pods', pod('late', ''));
    const events: CacheEvent[] = [];
    const watcher = await cache.watchCached(
      'pods',
      { fromRevision: listed.revision, fieldSelector: 'spec.nodeName=n1' },
      (e) => events.push(e),
    );
    try {
      await cache.update('pods', pod('p2', 'n2', { touched: 'yes' }));
      const bound = await cache.update('pods', { ...unbound, spec: { nodeName: 'n1' } });
      const moved = await cache.update('pods', pod('p4', 'n0'));
      await watcher.progress();
      assert.deepEqual(
        events.map((e) => `${e.type} ${e.entry.name}@${e.revision}`),
        [`ADDED late@${bound.metadata.resourceVersion}`, `DELETED p4@${moved.metadata.resourceVersion}`],
      );
      const leaving = JSON.parse(events[1]?.json ?? '{}') as KubeObject;
      assert.equal(leaving.metadata.resourceVersion, moved.metadata.resourceVersion);
      assert.deepEqual(leaving.spec, { nodeName: 'n1' }, 'DELETED shows the last state it matched');
    } finally {
      await watcher.close();
    }
  }));

test('a watch older than the window resumes from the store; with the store compacted, 410', () =>
  withCache({ historySize: 3 }, async (cache) => {
    await cache.start(['configmaps']);
    const from = await cache.currentRevision();
    for (let i = 0; i < 6; i++) await cache.create('configmaps', obj(`c${i}`));
    const rec = await Recorder.start(cache, 'configmaps', { fromRevision: from });
    try {
      assert.equal(summary(await rec.waitFor(6)).split(', ').length, 6);
    } finally {
      await rec.close();
    }
    await cache.compact(from + 2);
    await callRejectsWith(
      () => cache.watch('configmaps', { fromRevision: from }, () => undefined),
      'STORE_REVISION_COMPACTED',
      410,
    );
  }));

test('a compaction between two pages of the load restarts it; the cache then holds every object', () =>
  withCache({}, async (cache, sqlite) => {
    // More objects than one load page (1,000), so the load reads two pages.
    await Promise.all(
      Array.from({ length: 1200 }, (_, i) =>
        sqlite.create('configmaps', obj(`cm${String(i).padStart(4, '0')}`)),
      ),
    );
    const listStored = sqlite.listStored.bind(sqlite);
    const firstPages: number[] = [];
    sqlite.listStored = async (resource, options) => {
      const page = await listStored(resource, options);
      if (options?.continue === undefined) firstPages.push(page.revision);
      if (firstPages.length === 1 && page.continue !== undefined) {
        // Between the first and second page of the first load: a write, then a compaction past
        // the first page's revision, so its continue token has expired.
        await sqlite.create('configmaps', obj('late'));
        await sqlite.compact(await sqlite.currentRevision());
      }
      return page;
    };
    const listed = await cache.listCached('configmaps', {});
    assert.equal(firstPages.length, 2, 'loads started');
    assert.equal(listed.items.length, 1201);
    assert.ok(await cache.get('configmaps', 'default', 'late'));
  }));

test('followers get the initial objects, then each change with one shared parse', () =>
  withCache({}, async (cache) => {
    await cache.create('configmaps', obj('first'));
    const seen: string[] = [];
    const objects: KubeObject[] = [];
    const follower = await cache.follow(
      'configmaps',
      (e, o) => {
        seen.push(`${e.type} ${o.metadata.name ?? ''}@${o.metadata.resourceVersion ?? ''}`);
        objects.push(o);
      },
      (o) => seen.push(`initial ${o.metadata.name ?? ''}`),
    );
    const second = await cache.create('configmaps', obj('second'));
    const gone = await cache.delete('configmaps', 'default', 'first');
    await follower.sync();
    follower.close();
    assert.deepEqual(seen, [
      'initial first',
      `ADDED second@${second.metadata.resourceVersion}`,
      `DELETED first@${gone.metadata.resourceVersion}`,
    ]);
  }));
