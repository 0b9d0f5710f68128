/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- tests read JSON replies by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startTestCluster, type TestCluster } from './testing.js';

let c: TestCluster;

before(async () => {
  c = await startTestCluster();
});
after(async () => {
  await c.close();
});

async function namespace(name: string): Promise<void> {
  const r = await c.call('POST', '/api/v1/namespaces', { body: { metadata: { name } } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

/** Creates a quota and waits for the controller to fill its status (admission needs it). */
async function quota(
  ns: string,
  name: string,
  hard: Record<string, string>,
  spec: object = {},
): Promise<void> {
  const r = await c.call('POST', `/api/v1/namespaces/${ns}/resourcequotas`, {
    body: { metadata: { name }, spec: { hard, ...spec } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.ok(
    await eventually(async () => {
      const got = await c.call('GET', `/api/v1/namespaces/${ns}/resourcequotas/${name}`);
      return Object.keys(got.body.status?.used ?? {}).length === Object.keys(hard).length;
    }),
    'the resourcequota controller fills the status',
  );
}

const status = async (
  ns: string,
  name: string,
): Promise<{ hard: Record<string, string>; used: Record<string, string> }> =>
  (await c.call('GET', `/api/v1/namespaces/${ns}/resourcequotas/${name}`)).body.status;

const pod = (name: string, resources: object = {}) => ({
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox', resources }] },
});

test('creating past a quota fails with Kubernetes message and stores nothing', async () => {
  await namespace('q1');
  await quota('q1', 'q', { pods: '2', configmaps: '1' });
  for (const name of ['a', 'b']) {
    assert.equal((await c.call('POST', '/api/v1/namespaces/q1/pods', { body: pod(name) })).status, 201);
  }
  const refused = await c.call('POST', '/api/v1/namespaces/q1/pods', { body: pod('c') });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.reason, 'Forbidden');
  assert.equal(
    refused.body.message,
    'pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
  );
  assert.equal((await c.call('GET', '/api/v1/namespaces/q1/pods/c')).status, 404, 'nothing stored');
  assert.deepEqual((await status('q1', 'q')).used, { configmaps: '0', pods: '2' });
  // A dry run is checked like a real create, and charges nothing.
  const dry = await c.call('POST', '/api/v1/namespaces/q1/configmaps?dryRun=All', {
    body: { metadata: { name: 'x' } },
  });
  assert.equal(dry.status, 201);
  assert.deepEqual((await status('q1', 'q')).used, { configmaps: '0', pods: '2' });
  // Deleting a pod gives the quota back.
  assert.equal((await c.call('DELETE', '/api/v1/namespaces/q1/pods/a?gracePeriodSeconds=0')).status, 200);
  assert.ok(await eventually(async () => (await status('q1', 'q')).used.pods === '1'));
  assert.equal((await c.call('POST', '/api/v1/namespaces/q1/pods', { body: pod('c') })).status, 201);
});

test('concurrent creates never exceed a quota, and the count stays exact', async () => {
  await namespace('q2');
  await quota('q2', 'q', { 'count/configmaps': '7' });
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      c.call('POST', '/api/v1/namespaces/q2/configmaps', { body: { metadata: { name: `cm-${i}` } } }),
    ),
  );
  const created = results.filter((r) => r.status === 201).length;
  const refused = results.filter((r) => r.status === 403);
  assert.equal(created, 7);
  assert.equal(refused.length, 23);
  assert.match(
    refused[0]?.body.message,
    /exceeded quota: q, requested: count\/configmaps=1, used: count\/configmaps=7, limited: count\/configmaps=7$/,
  );
  const listed = await c.call('GET', '/api/v1/namespaces/q2/configmaps');
  assert.equal(listed.body.items.length, 7);
  assert.ok(await eventually(async () => (await status('q2', 'q')).used['count/configmaps'] === '7'));
  const q = await c.call('GET', '/api/v1/namespaces/q2/resourcequotas/q');
  assert.ok(
    await eventually(async () => {
      const now = await c.call('GET', '/api/v1/namespaces/q2/resourcequotas/q');
      return now.body.metadata.annotations?.['quota.stratus.dev/in-flight'] === undefined;
    }),
    `in-flight records are removed once the writes are stored: ${JSON.stringify(q.body.metadata)}`,
  );
});

test('a create that fails after admission gives its charge back (a name already taken)', async () => {
  await namespace('q3');
  await quota('q3', 'q', { secrets: '3' });
  const body = { metadata: { name: 's' }, stringData: { k: 'v' } };
  assert.equal((await c.call('POST', '/api/v1/namespaces/q3/secrets', { body })).status, 201);
  for (let i = 0; i < 4; i++) {
    assert.equal((await c.call('POST', '/api/v1/namespaces/q3/secrets', { body })).status, 409);
  }
  assert.ok(await eventually(async () => (await status('q3', 'q')).used.secrets === '1'));
  assert.equal(
    (await c.call('POST', '/api/v1/namespaces/q3/secrets', { body: { metadata: { name: 't' } } })).status,
    201,
  );
});

test('cpu and memory quotas: requests and limits charged, undeclared resources refused', async () => {
  await namespace('q4');
  await quota('q4', 'compute', { 'requests.cpu': '1', 'limits.memory': '1Gi' });
  const missing = await c.call('POST', '/api/v1/namespaces/q4/pods', { body: pod('bare') });
  assert.equal(missing.status, 403);
  assert.equal(
    missing.body.message,
    'pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: c; requests.cpu for: c',
  );
  const fits = pod('a', { requests: { cpu: '600m' }, limits: { memory: '512Mi' } });
  assert.equal((await c.call('POST', '/api/v1/namespaces/q4/pods', { body: fits })).status, 201);
  const over = await c.call('POST', '/api/v1/namespaces/q4/pods', {
    body: pod('b', { requests: { cpu: '500m' }, limits: { memory: '256Mi' } }),
  });
  assert.equal(over.status, 403);
  assert.equal(
    over.body.message,
    'pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1',
  );
  assert.ok(
    await eventually(async () => {
      const s = await status('q4', 'compute');
      return s.used['requests.cpu'] === '600m' && s.used['limits.memory'] === '512Mi';
    }),
  );
});

test('a quota just created refuses until its usage is known, as Kubernetes does', async () => {
  await namespace('q5');
  // Written straight to the store, as if the controller were down: no status yet.
  await c.server.store.create('resourcequotas', {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'fresh', namespace: 'q5', uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { hard: { services: '1' } },
  });
  const created = await c.call('POST', '/api/v1/namespaces/q5/configmaps', {
    body: { metadata: { name: 'cm' } },
  });
  assert.equal(created.status, 201, 'a resource the quota does not track is not held up');
  assert.ok(
    await eventually(async () => (await status('q5', 'fresh'))?.used?.services === '0'),
    'the controller notices the quota',
  );
});
