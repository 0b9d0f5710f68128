/* eslint-disable @typescript-eslint/no-unsafe-member-access -- tests read JSON replies by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../store/index.js';
import { eventually, startTestCluster, type TestCluster } from './testing.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(() => c.close());

const cm = (ns: string, name: string, metadata: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, ...metadata },
  data: { a: '1' },
});

const ownedBy = (name: string, uid: string): Record<string, unknown> => ({
  ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name, uid }],
});

/** Creates configmaps 16 at a time; returns the uid of each. */
async function createAll(ns: string, objects: Array<Record<string, unknown>>): Promise<string[]> {
  const uids: string[] = [];
  for (let i = 0; i < objects.length; i += 16) {
    const replies = await Promise.all(
      objects.slice(i, i + 16).map((body) => c.call('POST', `/api/v1/namespaces/${ns}/configmaps`, { body })),
    );
    for (const r of replies) {
      assert.equal(r.status, 201, JSON.stringify(r.body));
      uids.push(r.body.metadata.uid as string);
    }
  }
  return uids;
}

function storeLists(): number {
  return (c.server.backingStore as SqliteStore).stats().lists;
}

/**
 * Polls a list until it is empty; returns how many store list calls the polling itself made
 * (none since the watch cache serves lists: counted around each poll all the same).
 */
async function waitEmpty(path: string): Promise<number> {
  let polls = 0;
  const empty = await eventually(async () => {
    const before = storeLists();
    const reply = await c.call('GET', path);
    polls += storeLists() - before;
    return reply.body.items.length === 0;
  }, 400);
  assert.ok(empty, `${path} still holds objects`);
  return polls;
}

test('an owner with hundreds of dependents: they go after it, and the collector lists nothing', async () => {
  await c.call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'wide' } } });
  const [owner] = await createAll('wide', [cm('wide', 'owner')]);
  const deps = Array.from({ length: 300 }, (_, i) =>
    cm('wide', `dep-${i}`, { labels: { role: 'dep' }, ...ownedBy('owner', owner ?? '') }),
  );
  await createAll('wide', deps);
  const before = storeLists();
  const del = await c.call('DELETE', '/api/v1/namespaces/wide/configmaps/owner');
  assert.equal(del.status, 200);
  const polls = await waitEmpty('/api/v1/namespaces/wide/configmaps?labelSelector=role%3Ddep');
  assert.equal(storeLists() - before - polls, 0, 'lists made by the garbage collector');
});

test('deleting objects one by one makes the collector list nothing', async () => {
  await c.call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'one-by-one' } } });
  await createAll(
    'one-by-one',
    Array.from({ length: 200 }, (_, i) => cm('one-by-one', `c-${i}`)),
  );
  const before = storeLists();
  for (let i = 0; i < 200; i += 20) {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, j) =>
        c.call('DELETE', `/api/v1/namespaces/one-by-one/configmaps/c-${i + j}`),
      ),
    );
    assert.ok(replies.every((r) => r.status === 200));
  }
  assert.equal(storeLists() - before, 0);
});

test('a namespace with many objects and owner chains is emptied and removed', async () => {
  await c.call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'crowd' } } });
  const [root] = await createAll('crowd', [cm('crowd', 'root')]);
  const [mid] = await createAll('crowd', [cm('crowd', 'mid', ownedBy('root', root ?? ''))]);
  await createAll('crowd', [
    ...Array.from({ length: 400 }, (_, i) => cm('crowd', `leaf-${i}`, ownedBy('mid', mid ?? ''))),
    ...Array.from({ length: 100 }, (_, i) => cm('crowd', `plain-${i}`)),
  ]);
  const del = await c.call('DELETE', '/api/v1/namespaces/crowd');
  assert.equal(del.body.status.phase, 'Terminating');
  await waitEmpty('/api/v1/namespaces/crowd/configmaps');
  assert.ok(await eventually(async () => (await c.call('GET', '/api/v1/namespaces/crowd')).status === 404));
});

test('Foreground deletion of a chain: each owner waits for its dependents', async () => {
  const [a] = await createAll('default', [cm('default', 'fg-a')]);
  const [b] = await createAll('default', [cm('default', 'fg-b', ownedBy('fg-a', a ?? ''))]);
  await createAll('default', [
    cm('default', 'fg-c', { finalizers: ['example.com/hold'], ...ownedBy('fg-b', b ?? '') }),
  ]);
  const del = await c.call('DELETE', '/api/v1/namespaces/default/configmaps/fg-a', {
    body: { propagationPolicy: 'Foreground' },
  });
  assert.deepEqual(del.body.metadata.finalizers, ['foregroundDeletion']);
  // fg-c is held by its finalizer: fg-b (deleted in the foreground, as it has a dependent) and
  // fg-a wait for it.
  const path = (n: string): string => `/api/v1/namespaces/default/configmaps/${n}`;
  assert.ok(
    await eventually(
      async () => (await c.call('GET', path('fg-c'))).body.metadata.deletionTimestamp !== undefined,
    ),
  );
  const held = await c.call('GET', path('fg-b'));
  assert.deepEqual(held.body.metadata.finalizers, ['foregroundDeletion']);
  assert.equal((await c.call('GET', path('fg-a'))).status, 200);
  await c.call('PATCH', path('fg-c'), {
    body: { metadata: { finalizers: null } },
    contentType: 'application/merge-patch+json',
  });
  for (const n of ['fg-c', 'fg-b', 'fg-a']) {
    assert.ok(await eventually(async () => (await c.call('GET', path(n))).status === 404), n);
  }
});

test('an object whose owner does not exist is collected, as in Kubernetes', async () => {
  await createAll('default', [
    cm('default', 'stray', ownedBy('never-was', '00000000-0000-4000-8000-000000000000')),
  ]);
  assert.ok(
    await eventually(
      async () => (await c.call('GET', '/api/v1/namespaces/default/configmaps/stray')).status === 404,
    ),
  );
});

test('after a restart the graph is rebuilt: dependents of an owner removed meanwhile are collected', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-gc-restart-'));
  try {
    const first = await startTestCluster({ dataDir });
    const owner = await first.call('POST', '/api/v1/namespaces/default/configmaps', {
      body: cm('default', 'owner'),
    });
    const uid = owner.body.metadata.uid as string;
    for (const name of ['d1', 'd2']) {
      const r = await first.call('POST', '/api/v1/namespaces/default/configmaps', {
        body: cm('default', name, ownedBy('owner', uid)),
      });
      assert.equal(r.status, 201);
    }
    await first.close();
    // The owner goes while no server runs (as when one dies between the owner and its dependents).
    const store = await SqliteStore.open(join(dataDir, 'state.db'));
    await store.delete('configmaps', 'default', 'owner');
    await store.close();
    const second = await startTestCluster({ dataDir });
    try {
      for (const name of ['d1', 'd2']) {
        const path = `/api/v1/namespaces/default/configmaps/${name}`;
        assert.ok(await eventually(async () => (await second.call('GET', path)).status === 404), name);
      }
    } finally {
      await second.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
