import assert from 'node:assert/strict';
import type { KubeObject } from '../../common/kube-object.js';
import { after, describe, test } from 'node:test';
import { callRejectsWith, obj, Recorder } from '../contract/helpers.js';
import { runStoreContract, type StoreFactory } from '../store-contract.js';
import { EtcdCluster, etcdSkip } from '../testing/etcd-cluster.js';
import { EtcdStore } from './etcd-store.js';

/** A factory over one shared cluster: each test gets its own key prefix, i.e. an empty store. */
function factory(members: number): {
  open: StoreFactory;
  cluster: () => Promise<EtcdCluster>;
  close: () => Promise<void>;
} {
  let started: Promise<EtcdCluster> | undefined;
  const cluster = (): Promise<EtcdCluster> => (started ??= EtcdCluster.start(members));
  let n = 0;
  return {
    cluster,
    open: async () => {
      const c = await cluster();
      const prefix = `/contract-${++n}/`;
      return {
        store: await EtcdStore.open(c.endpoints, { prefix, compactIntervalMs: 0 }),
        reopen: () => EtcdStore.open(c.endpoints, { prefix, compactIntervalMs: 0 }),
        cleanup: () => Promise.resolve(),
      };
    },
    close: async () => {
      if (started !== undefined) await (await started).close();
    },
  };
}

if (etcdSkip) {
  test('etcd store', { skip: etcdSkip }, () => undefined);
} else {
  const one = factory(1);
  after(() => one.close());
  runStoreContract('etcd, 1 member', one.open);

  describe('etcd store specifics', () => {
    test('a watch started below the compaction point gets 410, in etcd as in SQLite', async () => {
      const { store } = await one.open();
      try {
        const a = await store.create('pods', obj('a'));
        await store.create('pods', obj('b'));
        await store.compact(await store.currentRevision());
        await callRejectsWith(
          () => store.watch('pods', { fromRevision: Number(a.metadata.resourceVersion) }, () => undefined),
          'STORE_REVISION_COMPACTED',
          410,
        );
      } finally {
        await store.close();
      }
    });

    test('objects are stored without resourceVersion; reads give the mod revision', async () => {
      const { store } = await one.open();
      try {
        const input = obj('rv', 'default', undefined, { spec: { n: 1 } });
        input.metadata.resourceVersion = '';
        const created = await store.create('pods', input);
        const raw = [...(await (await one.cluster()).dump('/')).entries()].find(([key]) =>
          key.endsWith('/pods/default\0rv'),
        );
        assert.ok(raw, 'the object is under <prefix>pods/<namespace>\\0<name>');
        assert.equal(String(raw[1].modRevision), created.metadata.resourceVersion);
        assert.equal((JSON.parse(raw[1].value) as KubeObject).metadata.resourceVersion, undefined);
        const rec = await Recorder.start(store, 'pods', {
          fromRevision: Number(created.metadata.resourceVersion) - 1,
        });
        const [event] = await rec.waitFor(1);
        assert.equal(event?.object.metadata.resourceVersion, created.metadata.resourceVersion);
        await rec.close();
      } finally {
        await store.close();
      }
    });

    test('periodic compaction compacts to the revision the previous run saw', async () => {
      const { store } = await one.open();
      const etcd = store as EtcdStore;
      try {
        const a = await store.create('pods', obj('a'));
        await etcd.compactHistory(); // remembers the revision, compacts nothing
        await store
          .watch('pods', { fromRevision: Number(a.metadata.resourceVersion) - 1 }, () => undefined)
          .then((w) => w.close());
        const b = await store.create('pods', obj('b'));
        await etcd.compactHistory(); // compacts to a's revision
        await callRejectsWith(
          () =>
            store.watch('pods', { fromRevision: Number(a.metadata.resourceVersion) - 1 }, () => undefined),
          'STORE_REVISION_COMPACTED',
          410,
        );
        const rec = await Recorder.start(store, 'pods', { fromRevision: Number(a.metadata.resourceVersion) });
        assert.equal((await rec.waitFor(1))[0]?.revision, Number(b.metadata.resourceVersion));
        await rec.close();
      } finally {
        await store.close();
      }
    });

    test('an object over etcd’s request limit is a 413 and stores nothing', async () => {
      const { store } = await one.open();
      try {
        const huge = obj('huge', 'default', undefined, { data: { blob: 'x'.repeat(2 * 1024 * 1024) } });
        await callRejectsWith(() => store.create('configmaps', huge), 'STORE_OBJECT_TOO_LARGE', 413);
        assert.equal(await store.get('configmaps', 'default', 'huge'), undefined);
      } finally {
        await store.close();
      }
    });

    test('an unreachable etcd is STORE_UNAVAILABLE (503), not a hang', async () => {
      await callRejectsWith(
        () => EtcdStore.open(['127.0.0.1:1'], { callTimeoutMs: 2000 }),
        'STORE_UNAVAILABLE',
        503,
      );
    });
  });
}
