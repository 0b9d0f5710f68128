import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../common/kube-object.js';
import { OwnerGraph } from './owner-graph.js';

const obj = (uid: string, namespace: string, owners: string[] = [], extra: object = {}): KubeObject => ({
  metadata: {
    uid,
    name: `n-${uid}`,
    namespace,
    ownerReferences: owners.map((o) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: `n-${o}`,
      uid: o,
    })),
    ...extra,
  },
});

test('dependents are found by owner uid, also after the owner is gone', () => {
  const g = new OwnerGraph();
  g.observe('replicasets.apps', obj('rs', 'a'));
  g.observe('pods', obj('p1', 'a', ['rs']));
  g.observe('pods', obj('p2', 'a', ['rs', 'other']));
  assert.deepEqual(
    g.dependents('rs').map((n) => n.uid),
    ['p1', 'p2'],
  );
  assert.equal(g.remove('rs')?.resource, 'replicasets.apps');
  assert.equal(g.dependentCount('rs'), 2);
  assert.equal(g.dependents('other')[0]?.owners[0]?.kind, 'apps/v1/ReplicaSet');
});

test('a changed ownerReferences list moves the dependent; removal unlinks it', () => {
  const g = new OwnerGraph();
  g.observe('pods', obj('p', 'a', ['rs1']));
  const update = g.observe('pods', obj('p', 'a', ['rs2']));
  assert.notEqual(update?.previous?.owners, update?.node.owners);
  assert.equal(g.dependentCount('rs1'), 0);
  assert.equal(g.dependentCount('rs2'), 1);
  const same = g.observe('pods', obj('p', 'a', ['rs2'], { labels: { x: 'y' } }));
  assert.equal(same?.previous?.owners, same?.node.owners, 'unchanged owners keep their identity');
  g.remove('p');
  assert.equal(g.dependentCount('rs2'), 0);
  assert.equal(g.size, 0);
});

test('namespaces and objects marked for deletion are indexed', () => {
  const g = new OwnerGraph();
  g.observe('configmaps', obj('c1', 'ns1'));
  g.observe('configmaps', obj('c2', 'ns1'));
  g.observe('configmaps', obj('c3', 'ns2'));
  assert.equal(g.namespaceCount('ns1'), 2);
  assert.deepEqual(
    g.inNamespace('ns2').map((n) => n.uid),
    ['c3'],
  );
  const marked = g.observe(
    'configmaps',
    obj('c1', 'ns1', [], { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] }),
  );
  assert.equal(marked?.node.deletionMs, Date.UTC(2026, 0, 1));
  assert.equal(marked?.node.foreground, true);
  assert.deepEqual(
    g.deleting().map((n) => n.uid),
    ['c1'],
  );
  g.remove('c1');
  g.remove('c2');
  assert.equal(g.namespaceCount('ns1'), 0);
  assert.deepEqual(g.deleting(), []);
});

test('objects without a uid are not kept', () => {
  const g = new OwnerGraph();
  assert.equal(g.observe('pods', { metadata: { name: 'x' } }), undefined);
  assert.equal(g.size, 0);
});
