import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../common/kube-object.js';
import type { Store } from '../store.js';
import { callRejectsWith, names, obj, withStore, type StoreFactory } from './helpers.js';

async function seed(store: Store): Promise<void> {
  const pods: KubeObject[] = [
    obj(
      'b',
      'default',
      { app: 'web', tier: 'front' },
      { spec: { nodeName: 'n1' }, status: { phase: 'Running' } },
    ),
    obj(
      'a',
      'default',
      { app: 'web', tier: 'back' },
      { spec: { nodeName: 'n2' }, status: { phase: 'Pending' } },
    ),
    obj('c', 'kube-system', { app: 'dns' }, { spec: { nodeName: 'n1' }, status: { phase: 'Running' } }),
    obj(
      'a',
      'prod',
      { app: 'web', canary: 'true' },
      { spec: { nodeName: 'n1' }, status: { phase: 'Failed' } },
    ),
    obj('z', 'default', {}, { spec: {}, status: { phase: 'Running' } }),
  ];
  for (const p of pods) await store.create('pods', p);
  await store.create('services', obj('a', 'default', { app: 'web' }));
}

/** Lists: ordering, namespaces, label and field selectors, paging and continue tokens. */
export function listContract(open: StoreFactory): void {
  test('list returns a resource’s objects sorted by namespace then name', () =>
    withStore(open, async ({ store }) => {
      await seed(store);
      const all = await store.list('pods');
      assert.deepEqual(names(all.items), ['default/a', 'default/b', 'default/z', 'kube-system/c', 'prod/a']);
      assert.equal(all.revision, await store.currentRevision());
      assert.equal(all.continue, undefined);
      assert.deepEqual(names((await store.list('pods', { namespace: 'default' })).items), [
        'default/a',
        'default/b',
        'default/z',
      ]);
      assert.deepEqual(names((await store.list('pods', { namespace: '' })).items).length, 5);
      assert.deepEqual((await store.list('pods', { namespace: 'empty' })).items, []);
      assert.deepEqual(names((await store.list('services')).items), ['default/a']);
      assert.deepEqual((await store.list('nothing')).items, []);
    }));

  test('label selectors filter lists', () =>
    withStore(open, async ({ store }) => {
      await seed(store);
      const sel = async (labelSelector: string, namespace?: string): Promise<string[]> =>
        names(
          (
            await store.list(
              'pods',
              namespace === undefined ? { labelSelector } : { labelSelector, namespace },
            )
          ).items,
        );
      assert.deepEqual(await sel('app=web'), ['default/a', 'default/b', 'prod/a']);
      assert.deepEqual(await sel('app==web,tier=front'), ['default/b']);
      assert.deepEqual(await sel('app!=web'), ['default/z', 'kube-system/c']);
      assert.deepEqual(await sel('tier in (front, back)'), ['default/a', 'default/b']);
      assert.deepEqual(await sel('app notin (web)'), ['default/z', 'kube-system/c']);
      assert.deepEqual(await sel('canary'), ['prod/a']);
      assert.deepEqual(await sel('app=web,!canary'), ['default/a', 'default/b']);
      assert.deepEqual(await sel('app=web', 'prod'), ['prod/a']);
      assert.deepEqual(await sel(''), ['default/a', 'default/b', 'default/z', 'kube-system/c', 'prod/a']);
    }));

  test('field selectors filter lists', () =>
    withStore(open, async ({ store }) => {
      await seed(store);
      const sel = async (fieldSelector: string): Promise<string[]> =>
        names((await store.list('pods', { fieldSelector })).items);
      assert.deepEqual(await sel('metadata.name=a'), ['default/a', 'prod/a']);
      assert.deepEqual(await sel('metadata.namespace=kube-system'), ['kube-system/c']);
      assert.deepEqual(await sel('spec.nodeName=n1,status.phase==Running'), ['default/b', 'kube-system/c']);
      assert.deepEqual(await sel('status.phase!=Running'), ['default/a', 'prod/a']);
      assert.deepEqual(await sel('spec.nodeName='), ['default/z']);
    }));

  test('bad selectors are rejected with SELECTOR_INVALID', () =>
    withStore(open, async ({ store }) => {
      await seed(store);
      await callRejectsWith(
        () => store.list('pods', { labelSelector: 'app in (web' }),
        'SELECTOR_INVALID',
        400,
      );
      await callRejectsWith(() => store.list('pods', { labelSelector: '=web' }), 'SELECTOR_INVALID', 400);
      await callRejectsWith(
        () => store.list('pods', { fieldSelector: 'metadata.name' }),
        'SELECTOR_INVALID',
        400,
      );
    }));

  test('paging with limit and continue returns every object once, in order', () =>
    withStore(open, async ({ store }) => {
      for (let i = 0; i < 23; i++) {
        await store.create(
          'pods',
          obj(`p${String(i).padStart(2, '0')}`, i % 2 ? 'odd' : 'even', { i: String(i % 3) }),
        );
      }
      const all = names((await store.list('pods')).items);
      const seen: string[] = [];
      let token: string | undefined;
      let firstRevision: number | undefined;
      for (let page = 0; page < 20; page++) {
        const res = await store.list(
          'pods',
          token === undefined ? { limit: 5 } : { limit: 5, continue: token },
        );
        firstRevision ??= res.revision;
        assert.equal(res.revision, firstRevision, 'every page reports the first page’s revision');
        assert.ok(res.items.length <= 5);
        seen.push(...names(res.items));
        if (res.continue !== undefined) {
          assert.equal(res.items.length, 5);
          if (res.remainingItemCount !== undefined)
            assert.equal(res.remainingItemCount, all.length - seen.length);
        }
        token = res.continue;
        if (token === undefined) break;
      }
      assert.deepEqual(seen, all);

      // Paging within a namespace and with a selector.
      const filtered: string[] = [];
      token = undefined;
      for (let page = 0; page < 20; page++) {
        const opts = { namespace: 'even', labelSelector: 'i=0', limit: 1 };
        const res = await store.list('pods', token === undefined ? opts : { ...opts, continue: token });
        filtered.push(...names(res.items));
        token = res.continue;
        if (token === undefined) break;
      }
      const expected = names((await store.list('pods', { namespace: 'even', labelSelector: 'i=0' })).items);
      assert.ok(expected.length >= 3);
      assert.deepEqual(filtered, expected);
    }));

  test('objects written between pages are neither duplicated nor lost when they existed throughout', () =>
    withStore(open, async ({ store }) => {
      for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) await store.create('pods', obj(n));
      const p1 = await store.list('pods', { limit: 3 });
      assert.deepEqual(names(p1.items), ['default/a', 'default/b', 'default/c']);
      const b = await store.get('pods', 'default', 'b');
      await store.update('pods', { ...(b as KubeObject), spec: { touched: true } });
      await store.update('pods', {
        ...((await store.get('pods', 'default', 'e')) as KubeObject),
        spec: { x: 1 },
      });
      const p2 = await store.list('pods', { limit: 3, continue: p1.continue as string });
      assert.deepEqual(names(p2.items), ['default/d', 'default/e', 'default/f']);
      assert.equal(p2.continue, undefined);
    }));

  test('a malformed continue token is a 400', () =>
    withStore(open, async ({ store }) => {
      await callRejectsWith(
        () => store.list('pods', { limit: 1, continue: 'not-a-token!' }),
        'STORE_INVALID_CONTINUE',
        400,
      );
    }));

  test('a continue token whose revision is compacted is a 410', () =>
    withStore(open, async ({ store }) => {
      for (const n of ['a', 'b', 'c']) await store.create('pods', obj(n));
      const p1 = await store.list('pods', { limit: 1 });
      assert.ok(p1.continue);
      await store.create('pods', obj('d'));
      await store.compact(await store.currentRevision());
      await callRejectsWith(
        () => store.list('pods', { limit: 1, continue: p1.continue as string }),
        'STORE_REVISION_COMPACTED',
        410,
      );
    }));
}
