/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument -- tests read JSON replies by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from './testing.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(() => c.close());

function deployment(name: string, replicas: unknown = 1): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
      },
    },
  };
}

test('create fills in metadata and the kind from the URL; get and list return it', async () => {
  const body = deployment('meta');
  delete body.apiVersion;
  delete body.kind;
  const r = await c.call('POST', '/apis/apps/v1/namespaces/default/deployments', { body });
  assert.equal(r.status, 201);
  assert.equal(r.body.kind, 'Deployment');
  assert.equal(r.body.apiVersion, 'apps/v1');
  assert.match(r.body.metadata.uid, /^[0-9a-f-]{36}$/);
  assert.equal(r.body.metadata.generation, 1);
  assert.match(r.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(r.body.metadata.namespace, 'default');
  assert.ok(Number(r.body.metadata.resourceVersion) > 0);
  const got = await c.call('GET', '/apis/apps/v1/namespaces/default/deployments/meta');
  assert.equal(got.body.metadata.uid, r.body.metadata.uid);
  const all = await c.call('GET', '/apis/apps/v1/deployments');
  assert.ok(
    (all.body.items as Array<{ metadata: { name: string } }>).some((d) => d.metadata.name === 'meta'),
  );
  assert.equal(all.body.kind, 'DeploymentList');
});

test('generateName makes a unique name', async () => {
  const r = await c.call('POST', '/api/v1/namespaces/default/configmaps', {
    body: { metadata: { generateName: 'cfg-' }, data: { a: '1' } },
  });
  assert.equal(r.status, 201);
  assert.match(r.body.metadata.name, /^cfg-[a-z0-9]{5}$/);
});

test('errors are Status objects with the messages kubectl prints', async () => {
  const missing = await c.call('GET', '/apis/apps/v1/namespaces/default/deployments/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'deployments.apps "nope" not found');
  assert.equal(missing.body.reason, 'NotFound');
  assert.deepEqual(missing.body.details, { name: 'nope', group: 'apps', kind: 'deployments' });

  await c.call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'dup' } } });
  const dup = await c.call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'dup' } } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.message, 'namespaces "dup" already exists');
  assert.equal(dup.body.reason, 'AlreadyExists');

  const noNs = await c.call('POST', '/api/v1/namespaces/ghost/configmaps', {
    body: { metadata: { name: 'x' } },
  });
  assert.equal(noNs.status, 404);
  assert.equal(noNs.body.message, 'namespaces "ghost" not found');

  const bad = await c.call('POST', '/api/v1/namespaces/default/configmaps', { body: '{"metadata": ' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.reason, 'BadRequest');

  const wrongKind = await c.call('POST', '/api/v1/namespaces/default/configmaps', {
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } },
  });
  assert.equal(wrongKind.status, 400);
  const wrongNs = await c.call('POST', '/api/v1/namespaces/default/configmaps', {
    body: { metadata: { name: 'x', namespace: 'other' } },
  });
  assert.equal(wrongNs.status, 400);
  const wrongName = await c.call('PUT', '/api/v1/namespaces/default/configmaps/a', {
    body: { metadata: { name: 'b' } },
  });
  assert.equal(wrongName.status, 400);

  const huge = await c.call('POST', '/api/v1/namespaces/default/configmaps', {
    body: { metadata: { name: 'huge' }, data: { a: 'x'.repeat(4 * 1024 * 1024) } },
  });
  assert.equal(huge.status, 413);
  assert.equal((await c.call('GET', '/api/v1/namespaces/default/configmaps/huge')).status, 404);
  assert.equal((await c.call('GET', '/apis/apps/v1/namespaces/default/nothings')).status, 404);
});

test('invalid objects get 422 with a cause per field and nothing is stored', async () => {
  const r = await c.call('POST', '/apis/apps/v1/namespaces/default/deployments', {
    body: deployment('neg', -1),
  });
  assert.equal(r.status, 422);
  assert.equal(r.body.reason, 'Invalid');
  assert.match(r.body.message, /^Deployment\.apps "neg" is invalid: .*spec\.replicas/);
  assert.ok((r.body.details.causes as Array<{ field: string }>).some((x) => x.field === 'spec.replicas'));
  const typed = await c.call('POST', '/apis/apps/v1/namespaces/default/deployments', {
    body: deployment('typed', 'three'),
  });
  assert.equal(typed.status, 422);
  assert.match(typed.body.message, /spec\.replicas/);
  assert.equal((await c.call('GET', '/apis/apps/v1/namespaces/default/deployments/neg')).status, 404);
  assert.equal((await c.call('GET', '/apis/apps/v1/namespaces/default/deployments/typed')).status, 404);
});

test('fieldValidation: Strict refuses unknown fields, Warn warns, Ignore drops', async () => {
  const body = (name: string): Record<string, unknown> => {
    const d = deployment(name);
    (d.spec as Record<string, unknown>).bogus = 1;
    return d;
  };
  const base = '/apis/apps/v1/namespaces/default/deployments';
  const strict = await c.call('POST', `${base}?fieldValidation=Strict`, { body: body('strict') });
  assert.equal(strict.status, 400);
  assert.match(strict.body.message, /unknown field "spec\.bogus"/);
  const warn = await c.call('POST', base, { body: body('warn') });
  assert.equal(warn.status, 201);
  assert.match(warn.headers.get('warning') ?? '', /^299 - "unknown field \\?"spec\.bogus\\?""/);
  assert.equal(warn.body.spec.bogus, undefined);
  const ignore = await c.call('POST', `${base}?fieldValidation=Ignore`, { body: body('ignore') });
  assert.equal(ignore.status, 201);
  assert.equal(ignore.headers.get('warning'), null);
});

test('dryRun=All answers as if stored and stores nothing', async () => {
  const r = await c.call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', {
    body: { metadata: { name: 'dry' }, data: { a: '1' } },
  });
  assert.equal(r.status, 201);
  assert.equal(r.body.metadata.name, 'dry');
  assert.ok(r.body.metadata.uid);
  assert.equal((await c.call('GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
  await c.call('POST', '/api/v1/namespaces/default/configmaps', {
    body: { metadata: { name: 'wet' }, data: { a: '1' } },
  });
  const patched = await c.call('PATCH', '/api/v1/namespaces/default/configmaps/wet?dryRun=All', {
    body: { data: { a: '2' } },
    contentType: 'application/merge-patch+json',
  });
  assert.equal(patched.body.data.a, '2');
  assert.equal((await c.call('GET', '/api/v1/namespaces/default/configmaps/wet')).body.data.a, '1');
  const del = await c.call('DELETE', '/api/v1/namespaces/default/configmaps/wet?dryRun=All');
  assert.equal(del.status, 200);
  assert.equal((await c.call('GET', '/api/v1/namespaces/default/configmaps/wet')).status, 200);
});

test('update: resourceVersion precondition, generation only on spec change, status kept', async () => {
  const base = '/apis/apps/v1/namespaces/default/deployments';
  const created = (await c.call('POST', base, { body: deployment('gen') })).body;
  const stale = created.metadata.resourceVersion as string;
  const labelled = structuredClone(created);
  labelled.metadata.labels.extra = 'yes';
  labelled.status = { replicas: 42 };
  const u1 = await c.call('PUT', `${base}/gen`, { body: labelled });
  assert.equal(u1.status, 200);
  assert.equal(u1.body.metadata.generation, 1, 'metadata changes do not bump generation');
  assert.equal(u1.body.status?.replicas, undefined, 'status is not written through the main resource');
  const scaled = structuredClone(u1.body);
  scaled.spec.replicas = 3;
  const u2 = await c.call('PUT', `${base}/gen`, { body: scaled });
  assert.equal(u2.body.metadata.generation, 2);
  const conflict = structuredClone(created);
  conflict.metadata.resourceVersion = stale;
  conflict.spec.replicas = 9;
  const u3 = await c.call('PUT', `${base}/gen`, { body: conflict });
  assert.equal(u3.status, 409);
  assert.equal(
    u3.body.message,
    'Operation cannot be fulfilled on deployments.apps "gen": the object has been modified; please apply your changes to the latest version and try again',
  );
  const st = await c.call('PUT', `${base}/gen/status`, {
    body: { ...u2.body, status: { replicas: 3 }, spec: { ...u2.body.spec, replicas: 7 } },
  });
  assert.equal(st.status, 200);
  assert.equal(st.body.status.replicas, 3);
  assert.equal(st.body.spec.replicas, 3, 'a status write does not change the spec');
});

test('list paging with limit and continue, label and field selectors', async () => {
  for (const n of ['p1', 'p2', 'p3']) {
    await c.call('POST', '/api/v1/namespaces/default/configmaps', {
      body: { metadata: { name: n, labels: { page: 'yes' } } },
    });
  }
  const first = await c.call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=page%3Dyes&limit=2');
  assert.equal(first.body.items.length, 2);
  assert.ok(first.body.metadata.continue);
  const second = await c.call(
    'GET',
    `/api/v1/namespaces/default/configmaps?labelSelector=page%3Dyes&limit=2&continue=${encodeURIComponent(first.body.metadata.continue as string)}`,
  );
  assert.equal(second.body.items.length, 1);
  const byName = await c.call(
    'GET',
    '/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dp2',
  );
  assert.deepEqual(
    (byName.body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name),
    ['p2'],
  );
});

test('tables: list and get as Table with columns, PartialObjectMetadata rows, includeObject=Object', async () => {
  const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
  await c.call('POST', '/apis/apps/v1/namespaces/default/deployments', { body: deployment('tbl') });
  const t = await c.call('GET', '/apis/apps/v1/namespaces/default/deployments?limit=500', { accept });
  assert.equal(t.headers.get('content-type'), 'application/json;as=Table;v=v1;g=meta.k8s.io');
  assert.equal(t.body.kind, 'Table');
  const cols = (t.body.columnDefinitions as Array<{ name: string }>).map((x) => x.name);
  assert.ok(cols.includes('Name') && cols.includes('Age'));
  const row = (
    t.body.rows as Array<{ cells: unknown[]; object: { kind: string; metadata: { name: string } } }>
  ).find((r) => r.object.metadata.name === 'tbl');
  assert.ok(row);
  assert.equal(row.object.kind, 'PartialObjectMetadata');
  assert.equal(row.cells[0], 'tbl');
  const one = await c.call('GET', '/apis/apps/v1/namespaces/default/deployments/tbl?includeObject=Object', {
    accept,
  });
  assert.equal(one.body.rows.length, 1);
  assert.equal(one.body.rows[0].object.kind, 'Deployment');
});

test('scale subresource reads and writes replicas as an autoscaling/v1 Scale', async () => {
  const base = '/apis/apps/v1/namespaces/default/deployments';
  await c.call('POST', base, { body: deployment('sc') });
  const s = await c.call('GET', `${base}/sc/scale`);
  assert.equal(s.body.kind, 'Scale');
  assert.equal(s.body.apiVersion, 'autoscaling/v1');
  assert.equal(s.body.spec.replicas, 1);
  assert.equal(s.body.status.selector, 'app=sc');
  const p = await c.call('PATCH', `${base}/sc/scale`, {
    body: { spec: { replicas: 4 } },
    contentType: 'application/merge-patch+json',
  });
  assert.equal(p.body.spec.replicas, 4);
  const put = await c.call('PUT', `${base}/sc/scale`, { body: { ...p.body, spec: { replicas: 6 } } });
  assert.equal(put.status, 200);
  const d = await c.call('GET', `${base}/sc`);
  assert.equal(d.body.spec.replicas, 6);
  assert.equal(d.body.metadata.generation, 3);
  const stale = await c.call('PUT', `${base}/sc/scale`, { body: { ...s.body, spec: { replicas: 2 } } });
  assert.equal(stale.status, 409);
});

test('patch types: json, merge, strategic; precondition in the patch', async () => {
  const base = '/apis/apps/v1/namespaces/default/deployments';
  const created = (await c.call('POST', base, { body: deployment('pt') })).body;
  const json = await c.call('PATCH', `${base}/pt`, {
    body: [{ op: 'replace', path: '/spec/replicas', value: 2 }],
    contentType: 'application/json-patch+json',
  });
  assert.equal(json.status, 200);
  assert.equal(json.body.spec.replicas, 2);
  const smp = await c.call('PATCH', `${base}/pt`, {
    body: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } } } },
    contentType: 'application/strategic-merge-patch+json',
  });
  assert.equal(smp.status, 200);
  const names = (smp.body.spec.template.spec.containers as Array<{ name: string }>).map((x) => x.name).sort();
  assert.deepEqual(names, ['sidecar', 'web']);
  const stale = await c.call('PATCH', `${base}/pt`, {
    body: { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { replicas: 5 } },
    contentType: 'application/merge-patch+json',
  });
  assert.equal(stale.status, 409);
  const unsupported = await c.call('PATCH', `${base}/pt`, { body: {}, contentType: 'text/plain' });
  assert.equal(unsupported.status, 415);
  assert.ok(Array.isArray(smp.body.metadata.managedFields));
});

test('server-side apply creates (201), updates (200) and reports conflicts (409)', async () => {
  const url = '/apis/apps/v1/namespaces/default/deployments/ssa?fieldManager=alice';
  const created = await c.call('PATCH', url, {
    body: deployment('ssa'),
    contentType: 'application/apply-patch+yaml',
  });
  assert.equal(created.status, 201);
  const again = await c.call('PATCH', url, {
    body: deployment('ssa', 2),
    contentType: 'application/apply-patch+yaml',
  });
  assert.equal(again.status, 200);
  assert.equal(again.body.spec.replicas, 2);
  const bob = await c.call('PATCH', '/apis/apps/v1/namespaces/default/deployments/ssa?fieldManager=bob', {
    body: deployment('ssa', 3),
    contentType: 'application/apply-patch+yaml',
  });
  assert.equal(bob.status, 409);
  assert.equal(bob.body.reason, 'Conflict');
  assert.ok((bob.body.details.causes as Array<{ field: string }>).some((x) => x.field.includes('replicas')));
  const forced = await c.call(
    'PATCH',
    '/apis/apps/v1/namespaces/default/deployments/ssa?fieldManager=bob&force=true',
    {
      body: deployment('ssa', 3),
      contentType: 'application/apply-patch+yaml',
    },
  );
  assert.equal(forced.status, 200);
  assert.equal(forced.body.spec.replicas, 3);
});

test('binding places a pod on a node once', async () => {
  const pod = { metadata: { name: 'bindme' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  assert.equal((await c.call('POST', '/api/v1/namespaces/default/pods', { body: pod })).status, 201);
  const binding = {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'bindme' },
    target: { kind: 'Node', name: 'node-1' },
  };
  const r = await c.call('POST', '/api/v1/namespaces/default/pods/bindme/binding', { body: binding });
  assert.equal(r.status, 201);
  assert.equal((await c.call('GET', '/api/v1/namespaces/default/pods/bindme')).body.spec.nodeName, 'node-1');
  const again = await c.call('POST', '/api/v1/namespaces/default/pods/bindme/binding', { body: binding });
  assert.equal(again.status, 409);
});
