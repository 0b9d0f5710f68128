/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-explicit-any -- tests read JSON replies by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SqliteStore } from '../store/index.js';
import { startTestCluster, type TestCluster } from './testing.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(() => c.close());

const base = '/api/v1/namespaces/default/configmaps';
const cm = (
  name: string,
  labels: Record<string, string> = {},
  data: Record<string, string> = {},
): unknown => ({
  metadata: { name, labels },
  data,
});

function storeReads(): { gets: number; lists: number } {
  const stats = (c.server.backingStore as SqliteStore).stats();
  return { gets: stats.gets, lists: stats.lists };
}

test('gets and lists over HTTP are answered from the watch cache: the store sees no read', async () => {
  for (let i = 0; i < 6; i++) {
    const r = await c.call('POST', base, { body: cm(`cached-${i}`, { half: String(i % 2) }) });
    assert.equal(r.status, 201);
  }
  const before = storeReads();
  const got = await c.call('GET', `${base}/cached-4`);
  assert.equal(got.status, 200);
  assert.equal(got.body.metadata.labels.half, '0');
  const some = await c.call('GET', `${base}?labelSelector=half%3D1`);
  assert.deepEqual(
    some.body.items.map((o: any) => o.metadata.name),
    ['cached-1', 'cached-3', 'cached-5'],
  );
  const page = await c.call('GET', `${base}?limit=2`);
  assert.equal(page.body.items.length, 2);
  const next = await c.call(
    'GET',
    `${base}?limit=2&continue=${encodeURIComponent(page.body.metadata.continue)}`,
  );
  assert.equal(next.body.metadata.resourceVersion, page.body.metadata.resourceVersion);
  const any = await c.call('GET', `${base}/cached-0?resourceVersion=0`);
  assert.equal(any.status, 200);
  const table = await c.call('GET', base, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  assert.equal(table.body.kind, 'Table');
  assert.deepEqual(storeReads(), before);
});

test('a list at an older resourceVersion with resourceVersionMatch=Exact shows that state', async () => {
  const created = await c.call('POST', base, { body: cm('exact', {}, { v: '1' }) });
  const rv = created.body.metadata.resourceVersion as string;
  const changed = await c.call('PUT', `${base}/exact`, { body: { ...created.body, data: { v: '2' } } });
  assert.equal(changed.status, 200);
  const then = await c.call('GET', `${base}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
  assert.equal(then.status, 200, JSON.stringify(then.body));
  assert.equal(then.body.metadata.resourceVersion, rv);
  assert.deepEqual(then.body.items.find((o: any) => o.metadata.name === 'exact')?.data, { v: '1' });
  const now = await c.call('GET', `${base}?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`);
  assert.deepEqual(now.body.items.find((o: any) => o.metadata.name === 'exact')?.data, { v: '2' });
});

test('a resourceVersion the server has not reached is 504 Timeout, as kube-apiserver answers', async () => {
  const list = await c.call('GET', base);
  const future = Number(list.body.metadata.resourceVersion) + 1_000_000;
  const r = await c.call('GET', `${base}?resourceVersion=${future}`);
  assert.equal(r.status, 504);
  assert.equal(r.body.reason, 'Timeout');
  assert.match(r.body.message, new RegExp(`^Too large resource version: ${future}, current: \\d+$`));
  assert.equal(r.body.details.causes[0].reason, 'ResourceVersionTooLarge');
});

test('pods are listed by spec.nodeName from the index, across namespaces', async () => {
  await c.call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'idx' } } });
  // Pods need their namespace's default ServiceAccount (ServiceAccount admission).
  const sa = await c.call('POST', '/api/v1/namespaces/idx/serviceaccounts', {
    body: { metadata: { name: 'default' } },
  });
  assert.ok(sa.status === 201 || sa.status === 409, JSON.stringify(sa.body));
  for (const [ns, name, node] of [
    ['default', 'a', 'n1'],
    ['idx', 'b', 'n1'],
    ['idx', 'c', 'n2'],
  ] as const) {
    const r = await c.call('POST', `/api/v1/namespaces/${ns}/pods`, {
      body: { metadata: { name }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const onN1 = await c.call('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1');
  assert.deepEqual(
    onN1.body.items.map((o: any) => `${o.metadata.namespace}/${o.metadata.name}`),
    ['default/a', 'idx/b'],
  );
});
