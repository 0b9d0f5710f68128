import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../common/kube-object.js';
import { SqliteStore, type Store } from '../store/index.js';
import { GraphFeed } from './graph-feed.js';
import { OwnerGraph } from './owner-graph.js';

const cm = (name: string, owner?: string): KubeObject => ({
  metadata: {
    name,
    namespace: 'default',
    uid: `uid-${name}`,
    ...(owner
      ? { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid: `uid-${owner}` }] }
      : {}),
  },
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(check(), 'condition not reached');
}

test('the graph is rebuilt from paged lists, then follows the store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-feed-'));
  const store = await SqliteStore.open(join(dir, 'state.db'));
  try {
    await store.create('configmaps', cm('owner'));
    await Promise.all(
      Array.from({ length: 1200 }, (_, i) => store.create('configmaps', cm(`d${i}`, 'owner'))),
    );
    const graph = new OwnerGraph();
    const removed: string[] = [];
    const feed = new GraphFeed(store, graph, ['configmaps', 'secrets'], {
      changed: () => undefined,
      removed: (uid) => removed.push(uid),
    });
    await feed.start();
    assert.equal(graph.dependentCount('uid-owner'), 1200);
    await store.delete('configmaps', 'default', 'owner');
    await store.create('secrets', cm('late', 'owner'));
    await until(() => removed.includes('uid-owner') && graph.dependentCount('uid-owner') === 1201);
    await feed.close();
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a watch that finds its revision compacted relists, and reports what went meanwhile', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-feed-'));
  const store = await SqliteStore.open(join(dir, 'state.db'));
  try {
    await store.create('configmaps', cm('a'));
    await store.create('configmaps', cm('b'));
    // Between the list and the watch, b is deleted and history is compacted past the list.
    let raced = false;
    const racing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'watch' || raced) return Reflect.get(target, prop, receiver) as unknown;
        return async (...args: Parameters<Store['watch']>) => {
          raced = true;
          await target.delete('configmaps', 'default', 'b');
          await target.compact(await target.currentRevision());
          return target.watch(...args);
        };
      },
    });
    const graph = new OwnerGraph();
    const removed: string[] = [];
    const changed: string[] = [];
    const feed = new GraphFeed(racing, graph, ['configmaps'], {
      changed: (u) => changed.push(u.node.uid),
      removed: (uid) => removed.push(uid),
    });
    await feed.start();
    assert.ok(raced);
    assert.deepEqual(removed, ['uid-b']);
    assert.ok(graph.has('uid-a') && !graph.has('uid-b'));
    await store.create('configmaps', cm('c'));
    await until(() => graph.has('uid-c'));
    assert.ok(changed.includes('uid-c'));
    await feed.close();
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
