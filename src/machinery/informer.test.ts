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
