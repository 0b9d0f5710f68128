/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- tests read JSON replies by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from './testing.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(() => c.close());

test('health and version answer without a token; everything else needs one', async () => {
  for (const path of ['/healthz', '/readyz', '/livez']) {
    const r = await c.call('GET', path, { token: null });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok');
  }
  const v = await c.call('GET', '/version', { token: null });
  assert.equal(v.status, 200);
  assert.equal(v.body.major, '1');
  for (const token of [null, 'wrong']) {
    const r = await c.call('GET', '/api/v1/namespaces', { token });
    assert.equal(r.status, 401);
    assert.equal(r.body.kind, 'Status');
    assert.equal(r.body.reason, 'Unauthorized');
  }
});

test('the default namespaces exist after bootstrap', async () => {
  const r = await c.call('GET', '/api/v1/namespaces');
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'NamespaceList');
  const names = (r.body.items as Array<{ metadata: { name: string } }>).map((n) => n.metadata.name);
  for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    assert.ok(names.includes(n), n);
});

test('aggregated discovery lists resources with short names, categories and subresources', async () => {
  const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
  const apis = await c.call('GET', '/apis', { accept });
  assert.equal(
    apis.headers.get('content-type'),
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  );
  const apps = (
    apis.body.items as Array<{
      metadata: { name: string };
      versions: Array<{ resources: Array<Record<string, unknown>> }>;
    }>
  ).find((g) => g.metadata.name === 'apps');
  const deploy = apps?.versions[0]?.resources.find((r) => r.resource === 'deployments');
  assert.ok(deploy);
  assert.deepEqual(deploy.shortNames, ['deploy']);
  assert.ok((deploy.categories as string[]).includes('all'));
  assert.deepEqual((deploy.subresources as Array<{ subresource: string }>).map((s) => s.subresource).sort(), [
    'scale',
    'status',
  ]);
  const core = await c.call('GET', '/api', { accept });
  assert.equal(core.body.items[0].metadata.name, '');
});

test('legacy discovery: APIVersions, APIGroupList and APIResourceList', async () => {
  const api = await c.call('GET', '/api');
  assert.equal(api.body.kind, 'APIVersions');
  const apis = await c.call('GET', '/apis');
  assert.equal(apis.body.kind, 'APIGroupList');
  assert.ok((apis.body.groups as Array<{ name: string }>).some((g) => g.name === 'apps'));
  const rl = await c.call('GET', '/apis/apps/v1');
  assert.equal(rl.body.kind, 'APIResourceList');
  const names = (rl.body.resources as Array<{ name: string }>).map((r) => r.name);
  assert.ok(names.includes('deployments') && names.includes('deployments/scale'));
  assert.equal((await c.call('GET', '/apis/nope/v1')).status, 404);
});

test('openapi v3 root points at per-group documents with a patch operation and fieldValidation', async () => {
  const root = await c.call('GET', '/openapi/v3');
  const entry = root.body.paths['apis/apps/v1'] as { serverRelativeURL: string };
  const doc = await c.call('GET', entry.serverRelativeURL);
  const item = doc.body.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
  });
  assert.ok((item.patch.parameters as Array<{ name: string }>).some((p) => p.name === 'fieldValidation'));
  assert.equal(item.patch.requestBody, undefined);
  // The v2 document is served too (kubectl reads it for `kind: List` files): see openapi-v2.test.ts.
  assert.equal((await c.call('GET', '/openapi/v2')).body.swagger, '2.0');
});
