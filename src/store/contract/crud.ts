import assert from 'node:assert/strict';
import { test } from 'node:test';
import { obj, rejectsWith, withStore, type StoreFactory } from './helpers.js';

/** CRUD, preconditions, conflicts, namespaces, cluster scope and revision bookkeeping. */
export function crudContract(open: StoreFactory): void {
  test('create stores the object with the new revision as resourceVersion', () =>
    withStore(open, async ({ store }) => {
      const before = await store.currentRevision();
      const created = await store.create('pods', obj('web', 'default', { app: 'web' }, { spec: { n: 1 } }));
      const rev = await store.currentRevision();
      assert.ok(rev > before);
      assert.equal(created.metadata.resourceVersion, String(rev));
      assert.deepEqual(created.spec, { n: 1 });
      assert.deepEqual(await store.get('pods', 'default', 'web'), created);
      assert.equal(await store.get('pods', 'default', 'nope'), undefined);
      assert.equal(await store.get('pods', 'other', 'web'), undefined);
      assert.equal(await store.get('services', 'default', 'web'), undefined);
    }));

  test('the store returns fresh objects and never aliases the caller’s', () =>
    withStore(open, async ({ store }) => {
      const input = obj('a', 'default', { x: '1' });
      const created = await store.create('pods', input);
      assert.equal(input.metadata.resourceVersion, undefined, 'create must not mutate its argument');
      input.metadata.labels = { x: 'mutated' };
      created.metadata.labels = { x: 'mutated too' };
      const got = await store.get('pods', 'default', 'a');
      assert.deepEqual(got?.metadata.labels, { x: '1' });
      if (got) got.metadata.name = 'changed';
      assert.equal((await store.get('pods', 'default', 'a'))?.metadata.name, 'a');
    }));

  test('create of a taken name fails with STORE_ALREADY_EXISTS and bumps nothing', () =>
    withStore(open, async ({ store }) => {
      await store.create('pods', obj('web'));
      const rev = await store.currentRevision();
      const err = await rejectsWith(store.create('pods', obj('web')), 'STORE_ALREADY_EXISTS', 409);
      assert.match(err.message, /"web" already exists/);
      assert.equal(await store.currentRevision(), rev);
      // The same name elsewhere is a different object.
      await store.create('pods', obj('web', 'other'));
      await store.create('services', obj('web'));
    }));

  test('update replaces the object; a matching resourceVersion passes, a stale one conflicts', () =>
    withStore(open, async ({ store }) => {
      const v1 = await store.create('pods', obj('web', 'default', undefined, { spec: { n: 1 } }));
      const v2 = await store.update('pods', { ...v1, spec: { n: 2 } });
      assert.ok(Number(v2.metadata.resourceVersion) > Number(v1.metadata.resourceVersion));
      assert.deepEqual((await store.get('pods', 'default', 'web'))?.spec, { n: 2 });
      const rev = await store.currentRevision();
      const err = await rejectsWith(store.update('pods', { ...v1, spec: { n: 3 } }), 'STORE_CONFLICT', 409);
      assert.match(
        err.message,
        /the object has been modified; please apply your changes to the latest version/,
      );
      assert.equal(await store.currentRevision(), rev, 'a failed write does not bump the revision');
      assert.deepEqual((await store.get('pods', 'default', 'web'))?.spec, { n: 2 });
      // Without a resourceVersion the update is unconditional.
      const v3 = await store.update('pods', obj('web', 'default', undefined, { spec: { n: 4 } }));
      assert.deepEqual(v3.spec, { n: 4 });
      assert.equal(v3.metadata.resourceVersion, String(await store.currentRevision()));
    }));

  test('update of a missing object fails with STORE_NOT_FOUND', () =>
    withStore(open, async ({ store }) => {
      const err = await rejectsWith(store.update('pods', obj('ghost')), 'STORE_NOT_FOUND', 404);
      assert.match(err.message, /"ghost" not found/);
    }));

  test('delete returns the last state at the deletion revision; preconditions apply', () =>
    withStore(open, async ({ store }) => {
      const created = await store.create('pods', obj('web', 'default', { app: 'web' }));
      await rejectsWith(
        store.delete('pods', 'default', 'web', {
          expectedResourceVersion: String(Number(created.metadata.resourceVersion) + 99),
        }),
        'STORE_CONFLICT',
        409,
      );
      assert.ok(await store.get('pods', 'default', 'web'), 'a failed delete leaves the object');
      const deleted = await store.delete('pods', 'default', 'web', {
        expectedResourceVersion: created.metadata.resourceVersion as string,
      });
      const rev = await store.currentRevision();
      assert.equal(deleted.metadata.resourceVersion, String(rev));
      assert.ok(rev > Number(created.metadata.resourceVersion));
      assert.deepEqual(deleted.metadata.labels, { app: 'web' });
      assert.equal(await store.get('pods', 'default', 'web'), undefined);
      await rejectsWith(store.delete('pods', 'default', 'web'), 'STORE_NOT_FOUND', 404);
      // The name is free again.
      const again = await store.create('pods', obj('web'));
      assert.ok(Number(again.metadata.resourceVersion) > rev);
    }));

  test('cluster-scoped objects live in the empty namespace', () =>
    withStore(open, async ({ store }) => {
      const node = await store.create('nodes', obj('n1', ''));
      assert.equal(node.metadata.namespace, undefined);
      assert.ok(await store.get('nodes', '', 'n1'));
      assert.equal(await store.get('nodes', 'default', 'n1'), undefined);
      await store.update('nodes', { ...node, spec: { unschedulable: true } });
      const list = await store.list('nodes');
      assert.deepEqual(
        list.items.map((i) => i.metadata.name),
        ['n1'],
      );
      await store.delete('nodes', '', 'n1');
      assert.equal(await store.get('nodes', '', 'n1'), undefined);
    }));

  test('every successful write bumps the revision by a fresh number', () =>
    withStore(open, async ({ store }) => {
      const seen: number[] = [];
      const a = await store.create('pods', obj('a'));
      seen.push(Number(a.metadata.resourceVersion));
      const b = await store.create('configmaps', obj('b', 'kube-system'));
      seen.push(Number(b.metadata.resourceVersion));
      const a2 = await store.update('pods', a);
      seen.push(Number(a2.metadata.resourceVersion));
      const d = await store.delete('configmaps', 'kube-system', 'b');
      seen.push(Number(d.metadata.resourceVersion));
      for (let i = 1; i < seen.length; i++)
        assert.ok((seen[i] as number) > (seen[i - 1] as number), `${seen.join(',')}`);
      assert.equal(await store.currentRevision(), seen[seen.length - 1]);
    }));

  test('concurrent updates with the same precondition: exactly one wins', () =>
    withStore(open, async ({ store }) => {
      const base = await store.create('pods', obj('web', 'default', undefined, { spec: { n: 0 } }));
      const results = await Promise.allSettled(
        [1, 2, 3, 4, 5].map((n) => store.update('pods', { ...base, spec: { n } })),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      assert.equal(ok.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'STORE_CONFLICT');
      }
      const winner = (ok[0] as PromiseFulfilledResult<{ spec?: unknown }>).value;
      assert.deepEqual((await store.get('pods', 'default', 'web'))?.spec, winner.spec);
    }));

  test('concurrent creates of one name: exactly one wins', () =>
    withStore(open, async ({ store }) => {
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => store.create('pods', obj('dup'))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    }));

  test('the revision never goes back and data survives a reopen', async (t) => {
    const h = await open();
    if (h.reopen === undefined) {
      await h.store.close();
      await h.cleanup();
      t.skip('this store cannot be reopened');
      return;
    }
    let store = h.store;
    try {
      await store.create('pods', obj('keep'));
      await store.create('pods', obj('gone'));
      await store.delete('pods', 'default', 'gone');
      const rev = await store.currentRevision();
      await store.compact(rev);
      await store.close();
      store = await h.reopen();
      assert.equal(await store.currentRevision(), rev);
      assert.ok(await store.get('pods', 'default', 'keep'));
      assert.equal(await store.get('pods', 'default', 'gone'), undefined);
      const next = await store.create('pods', obj('new'));
      assert.ok(Number(next.metadata.resourceVersion) > rev, 'a revision is never reused');
    } finally {
      await store.close();
      await h.cleanup();
    }
  });
}
