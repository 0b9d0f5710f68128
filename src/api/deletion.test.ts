/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- tests read JSON replies by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startTestCluster, type TestCluster } from './testing.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(() => c.close());

const cm = (ns: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, ...extra },
  data: { a: '1' },
});

async function gone(path: string): Promise<boolean> {
  return eventually(async () => (await c.call('GET', path)).status === 404);
}

test('finalizers hold an object until the last one is removed', async () => {
  const path = '/api/v1/namespaces/default/configmaps/fin';
  await c.call('POST', '/api/v1/namespaces/default/configmaps', {
    body: cm('default', 'fin', { finalizers: ['example.com/hold'] }),
  });
  const del = await c.call('DELETE', path);
  assert.equal(del.status, 200);
  assert.ok(del.body.metadata.deletionTimestamp);
  assert.equal(del.body.metadata.deletionGracePeriodSeconds, 0);
  const still = await c.call('GET', path);
  assert.equal(still.status, 200);
  assert.ok(still.body.metadata.deletionTimestamp);
  const patch = await c.call('PATCH', path, {
    body: [{ op: 'remove', path: '/metadata/finalizers' }],
    contentType: 'application/json-patch+json',
  });
  assert.equal(patch.status, 200);
  assert.equal((await c.call('GET', path)).status, 404);
});

test('delete preconditions and not-found', async () => {
  await c.call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('default', 'pre') });
  const r = await c.call('DELETE', '/api/v1/namespaces/default/configmaps/pre', {
    body: { preconditions: { resourceVersion: '1' } },
  });
  assert.equal(r.status, 409);
  const ok = await c.call('DELETE', '/api/v1/namespaces/default/configmaps/pre', {
    body: { propagationPolicy: 'Background' },
  });
  assert.equal(ok.status, 200);
  const missing = await c.call('DELETE', '/api/v1/namespaces/default/configmaps/pre');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'configmaps "pre" not found');
});

async function ownerWithDependents(name: string): Promise<{ uid: string }> {
  const owner = await c.call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('default', name) });
  const uid = owner.body.metadata.uid as string;
  for (const dep of ['a', 'b']) {
    const r = await c.call('POST', '/api/v1/namespaces/default/configmaps', {
      body: cm('default', `${name}-${dep}`, {
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name, uid }],
      }),
    });
    assert.equal(r.status, 201);
  }
  return { uid };
}

test('Background propagation deletes dependents after the owner', async () => {
  await ownerWithDependents('bg');
  const del = await c.call('DELETE', '/api/v1/namespaces/default/configmaps/bg', {
    body: { propagationPolicy: 'Background' },
  });
  assert.equal(del.status, 200);
  assert.equal((await c.call('GET', '/api/v1/namespaces/default/configmaps/bg')).status, 404);
  assert.ok(await gone('/api/v1/namespaces/default/configmaps/bg-a'));
  assert.ok(await gone('/api/v1/namespaces/default/configmaps/bg-b'));
});

test('Orphan propagation keeps dependents and strips their owner references', async () => {
  await ownerWithDependents('orph');
  const del = await c.call('DELETE', '/api/v1/namespaces/default/configmaps/orph', {
    body: { propagationPolicy: 'Orphan' },
  });
  assert.equal(del.status, 200);
  const dep = await c.call('GET', '/api/v1/namespaces/default/configmaps/orph-a');
  assert.equal(dep.status, 200);
  assert.equal(dep.body.metadata.ownerReferences, undefined);
});

test('Foreground propagation marks the owner, deletes dependents, then the owner', async () => {
  await ownerWithDependents('fg');
  const del = await c.call('DELETE', '/api/v1/namespaces/default/configmaps/fg', {
    body: { propagationPolicy: 'Foreground' },
  });
  assert.equal(del.status, 200);
  assert.ok(del.body.metadata.deletionTimestamp);
  assert.deepEqual(del.body.metadata.finalizers, ['foregroundDeletion']);
  assert.ok(await gone('/api/v1/namespaces/default/configmaps/fg-a'));
  assert.ok(await gone('/api/v1/namespaces/default/configmaps/fg'));
});

test('namespace deletion terminates, empties and removes the namespace; creating in it fails', async () => {
  assert.equal(
    (await c.call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'doomed' } } })).status,
    201,
  );
  await c.call('POST', '/api/v1/namespaces/doomed/configmaps', { body: cm('doomed', 'one') });
  await c.call('POST', '/api/v1/namespaces/doomed/configmaps', {
    body: cm('doomed', 'held', { finalizers: ['example.com/hold'] }),
  });
  const del = await c.call('DELETE', '/api/v1/namespaces/doomed');
  assert.equal(del.status, 200);
  assert.equal(del.body.status.phase, 'Terminating');
  const refused = await c.call('POST', '/api/v1/namespaces/doomed/configmaps', {
    body: cm('doomed', 'late'),
  });
  assert.equal(refused.status, 403);
  assert.match(refused.body.message, /because it is being terminated/);
  assert.ok(await gone('/api/v1/namespaces/doomed/configmaps/one'));
  assert.equal(
    (await c.call('GET', '/api/v1/namespaces/doomed')).status,
    200,
    'held by the finalizer of its content',
  );
  await c.call('PATCH', '/api/v1/namespaces/doomed/configmaps/held', {
    body: { metadata: { finalizers: null } },
    contentType: 'application/merge-patch+json',
  });
  assert.ok(await gone('/api/v1/namespaces/doomed'));
  const after = await c.call('POST', '/api/v1/namespaces/doomed/configmaps', { body: cm('doomed', 'later') });
  assert.equal(after.status, 404);
  assert.equal(after.body.message, 'namespaces "doomed" not found');
});

test('the default namespaces cannot be deleted', async () => {
  const r = await c.call('DELETE', '/api/v1/namespaces/default');
  assert.equal(r.status, 403);
});
