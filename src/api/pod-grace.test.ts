import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../common/clock.js';
import type { KubeObject } from '../common/kube-object.js';
import { createRegistry } from '../resources/index.js';
import { SqliteStore, WatchCache } from '../store/index.js';
import { TypeIndex } from './api-context.js';
import { ABANDONED_POD_GRACE_MS, sweepAbandonedPods } from './pod-sweeper.js';
import { Deleter, parseDeleteOptions, podGracePeriod } from './deletion.js';

const types = createRegistry().all();
const podType = types.find((t) => t.kind === 'Pod' && t.group === '');
const cmType = types.find((t) => t.kind === 'ConfigMap');

/** Runs `fn` against a SQLite store (behind its watch cache) in a fresh temp dir, then closes and removes both. */
async function withStore(fn: (store: WatchCache, clock: ManualClock) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-podgrace-'));
  const clock = new ManualClock();
  const store = new WatchCache(await SqliteStore.open(join(dir, 'state.db'), { clock }));
  try {
    await fn(store, clock);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('graceful pod deletion', () => {
  it('gives bound, unfinished pods their grace period; everything else goes at once', () => {
    assert.ok(podType !== undefined && cmType !== undefined);
    const bound = { metadata: { name: 'p' }, spec: { nodeName: 'n1', terminationGracePeriodSeconds: 7 } };
    assert.equal(podGracePeriod(podType, bound, {}), 7);
    assert.equal(podGracePeriod(podType, bound, { gracePeriodSeconds: 2 }), 2);
    assert.equal(podGracePeriod(podType, bound, { gracePeriodSeconds: 0 }), 0);
    assert.equal(podGracePeriod(podType, { metadata: {}, spec: { nodeName: 'n1' } }, {}), 30);
    assert.equal(podGracePeriod(podType, { metadata: {}, spec: {} }, {}), 0);
    assert.equal(podGracePeriod(podType, { ...bound, status: { phase: 'Succeeded' } }, {}), 0);
    assert.equal(podGracePeriod(cmType, bound, {}), 0);
  });
  it('reads gracePeriodSeconds from the query or the body; negative means the pod default', () => {
    assert.equal(parseDeleteOptions({ gracePeriodSeconds: 0 }, new URLSearchParams()).gracePeriodSeconds, 0);
    assert.equal(
      parseDeleteOptions(undefined, new URLSearchParams('gracePeriodSeconds=5')).gracePeriodSeconds,
      5,
    );
    assert.equal(
      parseDeleteOptions({ gracePeriodSeconds: -1 }, new URLSearchParams()).gracePeriodSeconds,
      undefined,
    );
    assert.throws(
      () => parseDeleteOptions({ gracePeriodSeconds: 'x' }, new URLSearchParams()),
      /gracePeriodSeconds/,
    );
  });
});

describe('sweepAbandonedPods', () => {
  it('removes pods terminating on a vanished node once grace + 60 s have passed, and only those', async () => {
    await withStore(async (store, clock) => {
      const deps = { store, clock, types: new TypeIndex(createRegistry().all()), hooks: new Map() };
      const ts = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
      const pod = (name: string, node: string): KubeObject => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', deletionTimestamp: ts, deletionGracePeriodSeconds: 30 },
        spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] },
      });
      await store.create('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'alive' } });
      await store.create('pods', pod('orphan', 'ghost'));
      await store.create('pods', pod('kept', 'alive'));
      const candidates = [
        { namespace: 'default', name: 'orphan' },
        { namespace: 'default', name: 'kept' },
        { namespace: 'default', name: 'gone-already' },
      ];
      assert.deepEqual(await sweepAbandonedPods(deps, candidates), []);
      clock.advance(ABANDONED_POD_GRACE_MS + 1000);
      assert.deepEqual(await sweepAbandonedPods(deps, candidates), ['default/orphan']);
      assert.equal(await store.get('pods', 'default', 'orphan'), undefined);
      assert.ok((await store.get('pods', 'default', 'kept')) !== undefined);
    });
  });
});

describe('deleting while another writer updates the object', () => {
  it('starts over from a fresh read instead of failing with 409; a stale precondition still fails', async () => {
    await withStore(async (store, clock) => {
      const created = await store.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'default' },
        spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
      });
      // Another writer (an agent reporting status) updates the pod right after each of the
      // deleter's first two reads, so its first two writes lose the race.
      let races = 2;
      const racing = new Proxy(store, {
        get(target, prop, receiver) {
          if (prop !== 'get') return Reflect.get(target, prop, receiver) as unknown;
          return async (...args: Parameters<typeof store.get>) => {
            const got = await target.get(...args);
            if (got !== undefined && races-- > 0) {
              await target.update('pods', { ...got, status: { phase: `Running-${races}` } });
            }
            return got;
          };
        },
      });
      const deletion = new Deleter({
        store: racing,
        clock,
        types: new TypeIndex(types),
        hooks: new Map(),
      });
      const podT = podType!;
      await assert.rejects(
        deletion.delete(podT, 'default', 'p', {
          gracePeriodSeconds: 0,
          preconditions: { resourceVersion: created.metadata.resourceVersion ?? '' },
        }),
        /Conflict|modified|Precondition/i,
      );
      races = 2;
      const result = await deletion.delete(podT, 'default', 'p', { gracePeriodSeconds: 0 });
      assert.equal(result.deleted, true);
      assert.equal(await store.get('pods', 'default', 'p'), undefined);
    });
  });
});
