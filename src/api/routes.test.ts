import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute } from './routes.js';

test('resource paths: namespaced, cluster-wide, subresources and legacy watch', () => {
  assert.deepEqual(parseRoute('/apis/apps/v1/namespaces/default/deployments/web/scale'), {
    kind: 'resource',
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    namespace: 'default',
    name: 'web',
    subresource: 'scale',
    watchPath: false,
  });
  assert.deepEqual(parseRoute('/api/v1/pods'), {
    kind: 'resource',
    group: '',
    version: 'v1',
    plural: 'pods',
    namespace: undefined,
    name: undefined,
    subresource: undefined,
    watchPath: false,
  });
  const watch = parseRoute('/api/v1/watch/namespaces/default/pods/p1');
  assert.equal(watch.kind === 'resource' && watch.watchPath && watch.name, 'p1');
});

test("a namespace's own status is not a resource inside it", () => {
  const r = parseRoute('/api/v1/namespaces/team/status');
  assert.ok(r.kind === 'resource');
  assert.equal(r.plural, 'namespaces');
  assert.equal(r.name, 'team');
  assert.equal(r.subresource, 'status');
  const cm = parseRoute('/api/v1/namespaces/team/configmaps');
  assert.ok(cm.kind === 'resource' && cm.namespace === 'team' && cm.plural === 'configmaps');
});

test('fixed endpoints and unknown paths', () => {
  assert.deepEqual(parseRoute('/version'), { kind: 'version' });
  assert.deepEqual(parseRoute('/readyz'), { kind: 'health', check: 'readyz' });
  assert.deepEqual(parseRoute('/openapi/v3/apis/apps/v1'), {
    kind: 'openapi-v3',
    groupVersionPath: 'apis/apps/v1',
  });
  assert.deepEqual(parseRoute('/apis/apps/v1'), { kind: 'group-version', group: 'apps', version: 'v1' });
  assert.deepEqual(parseRoute('/nothing'), { kind: 'unknown' });
  assert.deepEqual(parseRoute('/api/v1/namespaces/a/pods/b/c/d'), { kind: 'unknown' });
  assert.deepEqual(parseRoute('/api/v1/pods/%E0%A4%A'), { kind: 'unknown' });
});
