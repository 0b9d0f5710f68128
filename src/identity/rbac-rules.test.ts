import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestAttributes, type RequestAttributes } from './authorizer.js';
import { compactRules, compactString, ruleAllows, uncoveredRules } from './rbac-rules.js';

const user = { username: 'alice', groups: ['system:authenticated'] };

function res(verb: string, resource: string, extra: Partial<RequestAttributes> = {}): RequestAttributes {
  return requestAttributes(user, { verb, apiVersion: 'v1', resource, namespace: 'a', ...extra });
}

function url(verb: string, path: string): RequestAttributes {
  return { ...res(verb, ''), resourceRequest: false, path, namespace: '' };
}

test('a rule matches verb, group, resource and subresource exactly, or by *', () => {
  const pods = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
  assert.ok(ruleAllows(res('get', 'pods'), pods));
  assert.ok(!ruleAllows(res('watch', 'pods'), pods));
  assert.ok(!ruleAllows(res('get', 'pods', { apiGroup: 'apps' }), pods));
  assert.ok(!ruleAllows(res('get', 'pods', { subresource: 'log' }), pods), 'pods does not grant pods/log');
  assert.ok(
    ruleAllows(res('get', 'pods', { subresource: 'log' }), {
      verbs: ['get'],
      apiGroups: [''],
      resources: ['pods/log'],
    }),
  );
  assert.ok(
    ruleAllows(res('patch', 'deployments', { apiGroup: 'apps', subresource: 'scale' }), {
      verbs: ['*'],
      apiGroups: ['*'],
      resources: ['*/scale'],
    }),
  );
  assert.ok(
    !ruleAllows(res('patch', 'deployments', { apiGroup: 'apps' }), {
      verbs: ['*'],
      apiGroups: ['*'],
      resources: ['*/scale'],
    }),
  );
  assert.ok(
    ruleAllows(res('delete', 'x', { apiGroup: 'y' }), { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }),
  );
});

test('resourceNames limit a rule to those objects, and a list (no name) is not one of them', () => {
  const one = { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cfg'] };
  assert.ok(ruleAllows(res('get', 'configmaps', { name: 'cfg' }), one));
  assert.ok(!ruleAllows(res('get', 'configmaps', { name: 'other' }), one));
  assert.ok(!ruleAllows(res('list', 'configmaps'), one));
});

test('non-resource URLs match exactly or by a trailing *, and never resource requests', () => {
  const rule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
  assert.ok(ruleAllows(url('get', '/healthz'), rule));
  assert.ok(!ruleAllows(url('get', '/healthz/ping'), rule));
  assert.ok(ruleAllows(url('get', '/apis/apps/v1'), rule));
  assert.ok(!ruleAllows(url('post', '/healthz'), rule));
  assert.ok(!ruleAllows(res('get', 'pods'), rule));
});

test('uncoveredRules finds what a holder lacks, down to single verbs and names', () => {
  const held = [
    { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'configmaps'] },
    { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['mine'] },
    { verbs: ['*'], apiGroups: ['apps'], resources: ['*/scale'] },
  ];
  assert.deepEqual(uncoveredRules(held, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]), []);
  assert.deepEqual(
    uncoveredRules(held, [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }]),
    [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }],
  );
  assert.deepEqual(
    uncoveredRules(held, [
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['mine'] },
    ]),
    [],
  );
  assert.equal(
    uncoveredRules(held, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]).length,
    1,
    'a named grant does not cover all names',
  );
  assert.deepEqual(
    uncoveredRules(held, [{ verbs: ['update'], apiGroups: ['apps'], resources: ['deployments/scale'] }]),
    [],
  );
  assert.equal(uncoveredRules(held, [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }]).length, 1);
});

test('escalation messages print rules as Kubernetes does, verbs of one resource merged', () => {
  const missing = uncoveredRules([], [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'] }]);
  assert.deepEqual(compactRules(missing).map(compactString), [
    '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}',
  ]);
  assert.equal(
    compactString({ verbs: ['get'], nonResourceURLs: ['/metrics'] }),
    '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
  );
});
