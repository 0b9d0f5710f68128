import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../common/kube-object.js';
import { Informer } from './informer.js';
import { eventually, startControllerTestCluster } from '../controllers/testing.js';

const cm = (name: string, namespace: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

test('informer lists, follows the watch, and relists after 410 Gone', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const informer = new Informer(client, 'configmaps', { namespace: 'default', watchTimeoutSeconds: 1 });
  try {
    await client.create('configmaps', cm('before', 'default'));
    const seen: string[] = [];
    informer.addHandlers({
      onAdd: (o) => seen.push(`add ${o.metadata.name}`),
      onUpdate: (_a, o) => seen.push(`update ${o.metadata.name}`),
      onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
    });
    await informer.start({ timeoutMs: 10_000 });
    assert.ok(informer.hasSynced);
    assert.ok(informer.get('default', 'before'));
    await client.create('configmaps', cm('live', 'default'));
    await client.patch('configmaps', 'live', { data: { a: '1' } });
    await client.delete('configmaps', 'before');
    await eventually('watch events', () => seen.includes('delete before') && seen.includes('update live'));
    assert.equal(informer.lists, 1);

    // Writes elsewhere move the revision on; compacting past the informer's last revision makes
    // its next watch (the server ends each after 1 s) fail with 410, so it must list again.
    const store = cluster.server.store;
    for (let i = 0; i < 3; i++) await client.create('configmaps', cm(`other-${i}`, 'kube-public'));
    const rev = Number(
      (await client.list('configmaps', { namespace: 'kube-public' })).metadata.resourceVersion,
    );
    await store.compact(rev);
    await eventually('a relist', () => informer.lists >= 2, { timeoutMs: 15_000 });
    await client.create('configmaps', cm('after', 'default'));
    await eventually('the object created around the relist', () => informer.get('default', 'after'));
    assert.deepEqual(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
      ['after', 'kube-root-ca.crt', 'live'], // the root-ca-cert-publisher's, in every namespace
    );
    assert.equal(informer.list({ match: (o) => o.metadata.name === 'live' }).length, 1);
  } finally {
    await informer.close();
    await cluster.close();
  }
});

test('informer indexes objects by namespace and controller uid, following owner changes and deletes', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const informer = new Informer(client, 'configmaps', { namespace: 'default' });
  // Real owners: the garbage collector deletes objects whose controller does not exist.
  const one = (await client.create('configmaps', cm('owner-1', 'default'))).metadata.uid ?? '';
  const two = (await client.create('configmaps', cm('owner-2', 'default'))).metadata.uid ?? '';
  const meta = (name: string, uid: string | undefined): KubeObject['metadata'] => ({
    name,
    namespace: 'default',
    ...(uid === undefined
      ? {}
      : { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid, controller: true }] }),
  });
  const names = (uid: string): string[] =>
    informer
      .listByController('default', uid)
      .map((o) => o.metadata.name ?? '')
      .filter((n) => n === 'a' || n === 'b' || n === 'c')
      .sort();
  const reown = async (name: string, uid: string): Promise<void> => {
    const old = await client.get('configmaps', name);
    await client.update('configmaps', {
      ...cm(name, 'default'),
      metadata: { ...meta(name, uid), resourceVersion: old.metadata.resourceVersion ?? '' },
    });
  };
  try {
    await informer.start({ timeoutMs: 10_000 });
    await client.create('configmaps', { ...cm('a', 'default'), metadata: meta('a', one) });
    await client.create('configmaps', { ...cm('b', 'default'), metadata: meta('b', one) });
    await client.create('configmaps', cm('c', 'default'));
    await eventually('three objects', () => names(one).length === 2 && names('').length === 1);
    assert.deepEqual(names(one), ['a', 'b']);
    assert.deepEqual(names(''), ['c']);
    assert.deepEqual(informer.listByController('other', one), []);
    // b moves to another controller, c is adopted, a goes away.
    await reown('b', two);
    await reown('c', one);
    await client.delete('configmaps', 'a');
    await eventually(
      'the changes',
      () => names(two).length === 1 && names('').length === 0 && names(one).length === 1,
    );
    assert.deepEqual(names(one), ['c']);
    assert.deepEqual(names(two), ['b']);
  } finally {
    await informer.close();
    await cluster.close();
  }
});
