import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../common/kube-object.js';
import type { Watcher } from '../store.js';
import { callRejectsWith, obj, Recorder, summary, withStore, type StoreFactory } from './helpers.js';

/** Watch: live delivery, replay from history, filters, selector transitions, compaction. */
export function watchContract(open: StoreFactory): void {
  test('watch delivers ADDED, MODIFIED and DELETED live, in revision order', () =>
    withStore(open, async ({ store }) => {
      const from = await store.currentRevision();
      const rec = await Recorder.start(store, 'pods', { fromRevision: from });
      try {
        const a = await store.create('pods', obj('a', 'default', undefined, { spec: { n: 1 } }));
        const a2 = await store.update('pods', { ...a, spec: { n: 2 } });
        await store.create('services', obj('a'));
        const d = await store.delete('pods', 'default', 'a');
        const events = await rec.waitFor(3);
        assert.equal(
          summary(events),
          `ADDED a@${a.metadata.resourceVersion}, MODIFIED a@${a2.metadata.resourceVersion}, DELETED a@${d.metadata.resourceVersion}`,
        );
        assert.deepEqual(events[1]?.object, a2);
        assert.equal(events[2]?.object.metadata.resourceVersion, d.metadata.resourceVersion);
        for (const e of events) assert.equal(e.object.metadata.resourceVersion, String(e.revision));
      } finally {
        await rec.close();
      }
    }));

  test('watch replays history from a revision, then continues live without gaps or duplicates', () =>
    withStore(open, async ({ store }) => {
      const revs: number[] = [];
      for (let i = 0; i < 5; i++)
        revs.push(Number((await store.create('pods', obj(`h${i}`))).metadata.resourceVersion));
      const from = revs[1] as number;
      const rec = await Recorder.start(store, 'pods', { fromRevision: from });
      try {
        // Writes racing with the replay, plus some after it.
        const racing = Array.from({ length: 20 }, (_, i) => store.create('pods', obj(`r${i}`)));
        const more = (await Promise.all(racing)).map((o) => Number(o.metadata.resourceVersion));
        for (let i = 0; i < 5; i++)
          more.push(Number((await store.create('pods', obj(`l${i}`))).metadata.resourceVersion));
        const expected = [...revs.slice(2), ...more].sort((x, y) => x - y);
        const events = await rec.waitFor(expected.length);
        assert.deepEqual(
          events.map((e) => e.revision),
          expected,
        );
        assert.ok(events.every((e) => e.type === 'ADDED'));
        // Nothing extra trails behind: one more write arrives as exactly the next event.
        const last = await store.create('pods', obj('sentinel'));
        await rec.waitFor(expected.length + 1);
        assert.equal(rec.events.length, expected.length + 1);
        assert.equal(rec.events[expected.length]?.revision, Number(last.metadata.resourceVersion));
      } finally {
        await rec.close();
      }
    }));

  test('progress resolves once every change committed before it has been delivered', () =>
    withStore(open, async ({ store }) => {
      const rec = await Recorder.start(store, 'pods', { fromRevision: await store.currentRevision() });
      try {
        for (let round = 1; round <= 3; round++) {
          const written = await Promise.all(
            Array.from({ length: 10 }, (_, i) => store.create('pods', obj(`p${round}-${i}`))),
          );
          await store.create('services', obj(`s${round}`));
          const revision = await (rec.watcher as Watcher).progress();
          assert.equal(rec.events.length, round * 10, 'every pod written before progress() was delivered');
          assert.ok(revision >= Math.max(...written.map((o) => Number(o.metadata.resourceVersion))));
        }
      } finally {
        await rec.close();
      }
    }));

  test('watch from the current revision sees only later writes', () =>
    withStore(open, async ({ store }) => {
      await store.create('pods', obj('old'));
      const rec = await Recorder.start(store, 'pods', { fromRevision: await store.currentRevision() });
      try {
        await store.create('pods', obj('new'));
        assert.equal(summary(await rec.waitFor(1)).startsWith('ADDED new@'), true);
      } finally {
        await rec.close();
      }
    }));

  test('watch filters by namespace and by resource', () =>
    withStore(open, async ({ store }) => {
      const rec = await Recorder.start(store, 'pods', {
        fromRevision: await store.currentRevision(),
        namespace: 'prod',
      });
      try {
        await store.create('pods', obj('x', 'dev'));
        await store.create('configmaps', obj('x', 'prod'));
        const hit = await store.create('pods', obj('x', 'prod'));
        const events = await rec.waitFor(1);
        assert.equal(summary(events), `ADDED x@${hit.metadata.resourceVersion}`);
        assert.equal(events[0]?.object.metadata.namespace, 'prod');
      } finally {
        await rec.close();
      }
    }));

  test('with a label selector, objects entering or leaving the selection arrive as ADDED or DELETED', () =>
    withStore(open, async ({ store }) => {
      const rec = await Recorder.start(store, 'pods', {
        fromRevision: await store.currentRevision(),
        labelSelector: 'app=web',
      });
      try {
        const other = await store.create('pods', obj('p', 'default', { app: 'db' }));
        const entered = await store.update('pods', {
          ...other,
          metadata: { ...other.metadata, labels: { app: 'web' } },
        });
        const changed = await store.update('pods', { ...entered, spec: { n: 1 } });
        const left = await store.update('pods', {
          ...changed,
          metadata: { ...changed.metadata, labels: { app: 'db' } },
        });
        await store.update('pods', { ...left, spec: { n: 2 } });
        const back = await store.update('pods', obj('p', 'default', { app: 'web' }));
        const gone = await store.delete('pods', 'default', 'p');
        const events = await rec.waitFor(5);
        assert.equal(
          summary(events),
          [
            `ADDED p@${entered.metadata.resourceVersion}`,
            `MODIFIED p@${changed.metadata.resourceVersion}`,
            `DELETED p@${left.metadata.resourceVersion}`,
            `ADDED p@${back.metadata.resourceVersion}`,
            `DELETED p@${gone.metadata.resourceVersion}`,
          ].join(', '),
        );
        const leaving = events[2]?.object as KubeObject;
        assert.equal(leaving.metadata.resourceVersion, left.metadata.resourceVersion);
      } finally {
        await rec.close();
      }
    }));

  test('with a field selector, transitions work the same, also in replay', () =>
    withStore(open, async ({ store }) => {
      const from = await store.currentRevision();
      const p = await store.create('pods', obj('p', 'default', undefined, { status: { phase: 'Pending' } }));
      const running = await store.update('pods', { ...p, status: { phase: 'Running' } });
      const done = await store.update('pods', { ...running, status: { phase: 'Succeeded' } });
      const rec = await Recorder.start(store, 'pods', {
        fromRevision: from,
        fieldSelector: 'status.phase=Running',
      });
      try {
        const events = await rec.waitFor(2);
        assert.equal(
          summary(events),
          `ADDED p@${running.metadata.resourceVersion}, DELETED p@${done.metadata.resourceVersion}`,
        );
      } finally {
        await rec.close();
      }
    }));

  test('a closed watcher receives nothing more', () =>
    withStore(open, async ({ store }) => {
      const from = await store.currentRevision();
      const closed = await Recorder.start(store, 'pods', { fromRevision: from });
      await closed.close();
      const probe = await Recorder.start(store, 'pods', { fromRevision: from });
      try {
        await store.create('pods', obj('a'));
        await probe.waitFor(1);
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(closed.events, []);
      } finally {
        await probe.close();
      }
    }));

  test('watch with a bad selector is rejected with SELECTOR_INVALID', () =>
    withStore(open, async ({ store }) => {
      await callRejectsWith(
        () => store.watch('pods', { fromRevision: 0, labelSelector: 'a in b' }, () => undefined),
        'SELECTOR_INVALID',
        400,
      );
    }));

  test('compaction: watches from a compacted revision get 410, later ones still replay', () =>
    withStore(open, async ({ store }) => {
      const revs: number[] = [];
      for (let i = 0; i < 6; i++)
        revs.push(Number((await store.create('pods', obj(`c${i}`))).metadata.resourceVersion));
      const at = revs[3] as number;
      await store.compact(at);
      const err = await callRejectsWith(
        () => store.watch('pods', { fromRevision: (revs[1] as number) - 1 }, () => undefined),
        'STORE_REVISION_COMPACTED',
        410,
      );
      assert.match(err.message, /too old resource version/);
      await callRejectsWith(
        () => store.watch('pods', { fromRevision: at - 1 }, () => undefined),
        'STORE_REVISION_COMPACTED',
        410,
      );
      const rec = await Recorder.start(store, 'pods', { fromRevision: at });
      try {
        const events = await rec.waitFor(2);
        assert.deepEqual(
          events.map((e) => e.revision),
          revs.slice(4),
        );
      } finally {
        await rec.close();
      }
      // Data is untouched by compaction.
      assert.equal((await store.list('pods')).items.length, 6);
    }));
}
