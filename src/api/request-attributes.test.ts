import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forbiddenMessage, requestInfo, withUser } from './request-attributes.js';

const q = (s = ''): URLSearchParams => new URLSearchParams(s);
const pick = (method: string, path: string, query = ''): string => {
  const i = requestInfo(method, path, q(query));
  return [
    i.resourceRequest ? 'res' : 'url',
    i.verb,
    i.apiGroup,
    i.resource,
    i.subresource,
    i.namespace,
    i.name,
  ].join('|');
};

test('resource requests get Kubernetes verbs: list, watch, deletecollection from the collection', () => {
  assert.equal(pick('GET', '/api/v1/namespaces/a/pods'), 'res|list||pods||a|');
  assert.equal(pick('GET', '/api/v1/namespaces/a/pods', 'watch=true'), 'res|watch||pods||a|');
  assert.equal(pick('GET', '/api/v1/watch/namespaces/a/pods'), 'res|watch||pods||a|');
  assert.equal(pick('GET', '/api/v1/namespaces/a/pods/web'), 'res|get||pods||a|web');
  assert.equal(pick('POST', '/apis/apps/v1/namespaces/a/deployments'), 'res|create|apps|deployments||a|');
  assert.equal(
    pick('PUT', '/apis/apps/v1/namespaces/a/deployments/web/scale'),
    'res|update|apps|deployments|scale|a|web',
  );
  assert.equal(pick('PATCH', '/api/v1/namespaces/a/pods/web/status'), 'res|patch||pods|status|a|web');
  assert.equal(pick('GET', '/api/v1/namespaces/a/pods/web/log'), 'res|get||pods|log|a|web');
  assert.equal(pick('POST', '/api/v1/namespaces/a/pods/web/binding'), 'res|create||pods|binding|a|web');
  assert.equal(pick('DELETE', '/api/v1/namespaces/a/configmaps'), 'res|deletecollection||configmaps||a|');
  assert.equal(pick('DELETE', '/api/v1/namespaces/a/configmaps/x'), 'res|delete||configmaps||a|x');
  assert.equal(pick('GET', '/api/v1/nodes'), 'res|list||nodes|||');
});

test('a name field selector names the object of a list or watch, as kubectl get NAME -w sends', () => {
  assert.equal(
    pick('GET', '/api/v1/namespaces/a/pods', 'fieldSelector=metadata.name%3Dweb&watch=1'),
    'res|watch||pods||a|web',
  );
  assert.equal(
    pick('GET', '/api/v1/namespaces/a/pods', 'fieldSelector=spec.nodeName%3Dn1'),
    'res|list||pods||a|',
  );
});

test('a namespace is its own namespace; its status and finalize are its subresources', () => {
  assert.equal(pick('GET', '/api/v1/namespaces/a'), 'res|get||namespaces||a|a');
  assert.equal(pick('PUT', '/api/v1/namespaces/a/finalize'), 'res|update||namespaces|finalize|a|a');
  assert.equal(pick('GET', '/api/v1/namespaces'), 'res|list||namespaces|||');
});

test('discovery, version, health and OpenAPI are non-resource requests with the HTTP verb', () => {
  for (const path of [
    '/',
    '/api',
    '/api/v1',
    '/apis',
    '/apis/apps',
    '/apis/apps/v1',
    '/version',
    '/healthz',
    '/openapi/v3',
  ]) {
    assert.equal(pick('GET', path), 'url|get|||||', path);
  }
  assert.equal(requestInfo('GET', '/metrics', q()).path, '/metrics');
});

test('403 messages name the user, verb, resource and scope as kube-apiserver does', () => {
  const user = { username: 'alice', groups: [] };
  const list = withUser(requestInfo('GET', '/api/v1/namespaces/default/pods', q()), user);
  assert.equal(
    forbiddenMessage(list, ''),
    'User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
  );
  const nodes = withUser(requestInfo('GET', '/api/v1/nodes', q()), user);
  assert.equal(
    forbiddenMessage(nodes, ''),
    'User "alice" cannot list resource "nodes" in API group "" at the cluster scope',
  );
  const log = withUser(requestInfo('GET', '/api/v1/namespaces/a/pods/p/log', q()), user);
  assert.equal(
    forbiddenMessage(log, ''),
    'User "alice" cannot get resource "pods/log" in API group "" in the namespace "a"',
  );
  const path = withUser(requestInfo('GET', '/metrics', q()), user);
  assert.equal(forbiddenMessage(path, 'RBAC: x'), 'User "alice" cannot get path "/metrics": RBAC: x');
});

test('exec, attach and portforward are create on their subresource, the WebSocket GET included', () => {
  assert.equal(
    pick('GET', '/api/v1/namespaces/a/pods/web/exec', 'command=ls'),
    'res|create||pods|exec|a|web',
  );
  assert.equal(pick('POST', '/api/v1/namespaces/a/pods/web/exec'), 'res|create||pods|exec|a|web');
  assert.equal(pick('GET', '/api/v1/namespaces/a/pods/web/attach'), 'res|create||pods|attach|a|web');
  assert.equal(
    pick('GET', '/api/v1/namespaces/a/pods/web/portforward'),
    'res|create||pods|portforward|a|web',
  );
});
