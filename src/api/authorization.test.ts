/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument -- tests read JSON replies by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { newToken, ruleAllows, tokenSecret, type PolicyRule } from '../identity/index.js';

import { requestInfo, withUser } from './request-attributes.js';
import { eventually, joinNode, serviceAccountToken, startTestCluster, type TestCluster } from './testing.js';

let c: TestCluster;
const tokens: Record<string, string> & { alice: string; victor: string; node: string; sa: string } = {
  alice: '',
  victor: '',
  node: '',
  sa: '',
};

/** Issues a token through the API, as `stratus user create` does. */
async function user(name: string, groups: string[] = []): Promise<string> {
  const token = newToken();
  const r = await c.call('POST', '/api/v1/namespaces/kube-system/secrets', {
    body: tokenSecret(token, { username: name, groups }, { ttlMs: 3_600_000 }),
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return token;
}

const binding = (
  kind: string,
  name: string,
  role: string,
  subject: Record<string, string>,
  ns?: string,
): unknown => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: { name, ...(ns ? { namespace: ns } : {}) },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', ...subject }],
});

before(async () => {
  c = await startTestCluster({ s3Port: 0 });
  for (const ns of ['a', 'b'])
    await c.call('POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });
  tokens.alice = await user('alice');
  tokens.victor = await user('victor', ['viewers']);
  await c.call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/a/rolebindings', {
    body: binding('RoleBinding', 'alice-edit', 'edit', { kind: 'User', name: 'alice' }, 'a'),
  });
  await c.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    body: binding('ClusterRoleBinding', 'viewers', 'view', { kind: 'Group', name: 'viewers' }),
  });
  await c.call('POST', '/api/v1/namespaces/a/configmaps', {
    body: { metadata: { name: 'cfg' }, data: { k: 'v' } },
  });
  // The aggregated roles are filled in by the clusterrole-aggregation controller.
  const filled = await eventually(async () => {
    const r = await c.call('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/edit');
    return Array.isArray(r.body.rules) && r.body.rules.length > 10;
  });
  assert.ok(filled, 'edit was aggregated');
  tokens.node = await joinNode(c, 'n1');
  tokens.sa = await serviceAccountToken(c, 'a', 'default');
  for (const n of ['n1', 'n2']) await c.call('POST', '/api/v1/nodes', { body: { metadata: { name: n } } });
  for (const [name, value] of [
    ['used', 'u'],
    ['unused', 'x'],
  ])
    await c.call('POST', '/api/v1/namespaces/a/secrets', {
      body: { metadata: { name }, stringData: { k: value } },
    });
  const pod = (name: string, node: string): unknown => ({
    metadata: { name },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'c',
          image: 'x',
          env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'used', key: 'k' } } }],
          envFrom: [{ configMapRef: { name: 'cfg' } }],
        },
      ],
    },
  });
  for (const [name, node] of [
    ['p1', 'n1'],
    ['p2', 'n2'],
  ]) {
    const r = await c.call('POST', '/api/v1/namespaces/a/pods', { body: pod(name ?? '', node ?? '') });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
});

after(() => c.close());

/** Status of a request; watches are cut once their headers arrive. */
async function status(who: string, method: string, path: string, body?: unknown): Promise<number> {
  return (await answer(who, method, path, body)).code;
}

/** Whether the authorizer chain allowed a request (admission may still have refused it). */
async function authorized(who: string, method: string, path: string, body?: unknown): Promise<boolean> {
  const { code, message } = await answer(who, method, path, body);
  return code !== 403 || !/\bforbidden: User "[^"]*" cannot /.test(message);
}

async function answer(
  who: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ code: number; message: string }> {
  if (path.includes('watch=')) {
    const ac = new AbortController();
    const res = await fetch(c.url + path, {
      headers:
        who === 'anonymous'
          ? {}
          : { authorization: `Bearer ${who === 'admin' ? c.server.adminToken : tokens[who]}` },
      signal: ac.signal,
    });
    const message = res.ok ? '' : await res.text();
    ac.abort();
    return { code: res.status, message: res.ok ? '' : String(JSON.parse(message).message) };
  }
  const token = who === 'anonymous' ? null : who === 'admin' ? c.server.adminToken : (tokens[who] ?? '');
  const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  const r = await c.call(method, path, { token, contentType, ...(body !== undefined ? { body } : {}) });
  return { code: r.status, message: typeof r.body?.message === 'string' ? r.body.message : '' };
}

const cm = (name: string): unknown => ({ metadata: { name }, data: { a: 'b' } });

// [who, method, path, body, expected] — what kube-apiserver answers with these default roles.
const MATRIX: Array<[string, string, string, unknown, number]> = [
  ['admin', 'GET', '/api/v1/nodes', undefined, 200],
  ['admin', 'POST', '/api/v1/namespaces/b/configmaps', cm('adm'), 201],
  ['admin', 'GET', '/apis/storage.stratus.dev/v1/ring', undefined, 200],
  ['alice', 'GET', '/api/v1/namespaces/a/pods', undefined, 200],
  ['alice', 'GET', '/api/v1/namespaces/a/pods?watch=1', undefined, 200],
  ['alice', 'GET', '/api/v1/namespaces/a/secrets', undefined, 200],
  ['alice', 'POST', '/api/v1/namespaces/a/configmaps', cm('alice1'), 201],
  ['alice', 'PATCH', '/api/v1/namespaces/a/configmaps/cfg', { data: { k: 'w' } }, 200],
  ['alice', 'GET', '/api/v1/namespaces/a/pods/nope/log', undefined, 404],
  ['alice', 'PATCH', '/apis/apps/v1/namespaces/a/deployments/nope/scale', { spec: { replicas: 2 } }, 404],
  ['alice', 'POST', '/api/v1/namespaces/a/pods/nope/binding', { target: { name: 'n' } }, 403],
  ['alice', 'DELETE', '/api/v1/namespaces/a/configmaps/alice1', undefined, 200],
  ['alice', 'GET', '/api/v1/namespaces/b/pods', undefined, 403],
  ['alice', 'GET', '/api/v1/namespaces/b/pods?watch=1', undefined, 403],
  ['alice', 'POST', '/api/v1/namespaces/b/configmaps', cm('x'), 403],
  ['alice', 'GET', '/api/v1/nodes', undefined, 403],
  ['alice', 'GET', '/api/v1/pods', undefined, 403],
  [
    'alice',
    'POST',
    '/apis/rbac.authorization.k8s.io/v1/namespaces/a/roles',
    { metadata: { name: 'r' }, rules: [] },
    403,
  ],
  ['alice', 'GET', '/apis/storage.stratus.dev/v1/ring', undefined, 403],
  ['alice', 'GET', '/api', undefined, 200],
  ['alice', 'GET', '/apis/apps/v1', undefined, 200],
  ['alice', 'GET', '/version', undefined, 200],
  ['victor', 'GET', '/api/v1/namespaces/b/pods', undefined, 200],
  ['victor', 'GET', '/api/v1/namespaces/a/configmaps/cfg', undefined, 200],
  ['victor', 'GET', '/api/v1/namespaces/a/configmaps?watch=true', undefined, 200],
  ['victor', 'GET', '/api/v1/namespaces/a/secrets', undefined, 403],
  ['victor', 'POST', '/api/v1/namespaces/a/configmaps', cm('v'), 403],
  ['victor', 'DELETE', '/api/v1/namespaces/a/configmaps', undefined, 403],
  ['victor', 'GET', '/api/v1/nodes', undefined, 403],
  ['node', 'GET', '/api/v1/nodes/n1', undefined, 200],
  ['node', 'GET', '/api/v1/nodes/n2', undefined, 403],
  ['node', 'GET', '/api/v1/nodes', undefined, 403],
  ['node', 'PATCH', '/api/v1/nodes/n1/status', { status: { phase: 'Running' } }, 200],
  ['node', 'PATCH', '/api/v1/nodes/n2/status', { status: { phase: 'Running' } }, 403],
  ['node', 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1', undefined, 200],
  ['node', 'GET', '/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dn1', undefined, 200],
  ['node', 'GET', '/api/v1/pods', undefined, 403],
  ['node', 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn2', undefined, 403],
  ['node', 'GET', '/api/v1/namespaces/a/pods/p1', undefined, 200],
  ['node', 'GET', '/api/v1/namespaces/a/pods/p2', undefined, 403],
  ['node', 'PATCH', '/api/v1/namespaces/a/pods/p1/status', { status: { message: 'm' } }, 200],
  ['node', 'PATCH', '/api/v1/namespaces/a/pods/p2/status', { status: { message: 'm' } }, 403],
  ['node', 'PATCH', '/api/v1/namespaces/a/pods/p1', { metadata: { labels: { x: 'y' } } }, 403],
  ['node', 'DELETE', '/api/v1/namespaces/a/pods/p2', undefined, 403],
  ['node', 'GET', '/api/v1/namespaces/a/secrets/used', undefined, 200],
  ['node', 'GET', '/api/v1/namespaces/a/secrets/unused', undefined, 403],
  ['node', 'GET', '/api/v1/namespaces/a/secrets', undefined, 403],
  ['node', 'GET', '/api/v1/namespaces/a/configmaps/cfg', undefined, 200],
  ['node', 'POST', '/api/v1/namespaces/kube-system/secrets', { metadata: { name: 'n' }, data: {} }, 403],
  ['node', 'POST', '/api/v1/namespaces/a/serviceaccounts/default/token', { spec: {} }, 403],
  ['node', 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n2', undefined, 403],
  ['node', 'POST', '/apis/iam.stratus.dev/v1/nodecredentialrequests', { spec: { nodeName: 'n2' } }, 403],
  ['node', 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles', undefined, 403],
  ['sa', 'GET', '/api', undefined, 200],
  ['sa', 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {}, 201],
  ['sa', 'GET', '/api/v1/namespaces/a/pods', undefined, 403],
  ['sa', 'GET', '/api/v1/namespaces/a/secrets', undefined, 403],
  ['sa', 'POST', '/api/v1/namespaces/a/serviceaccounts/default/token', { spec: {} }, 403],
  ['anonymous', 'GET', '/healthz', undefined, 200],
  ['anonymous', 'GET', '/readyz', undefined, 200],
  ['anonymous', 'GET', '/version', undefined, 200],
  ['anonymous', 'GET', '/api', undefined, 401],
  ['anonymous', 'GET', '/api/v1/namespaces/a/pods', undefined, 401],
];

test('users × verbs × resources get the answers Kubernetes gives', async () => {
  for (const [who, method, path, body, expected] of MATRIX) {
    assert.equal(await status(who, method, path, body), expected, `${who} ${method} ${path}`);
  }
});

test('403s are Status objects naming the user, verb and resource; 401 for no or a bad token', async () => {
  const r = await c.call('GET', '/api/v1/namespaces/default/pods', { token: tokens.alice });
  assert.equal(r.status, 403);
  assert.deepEqual(r.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
    reason: 'Forbidden',
    details: { name: '', group: '', kind: 'pods' },
    code: 403,
  });
  const named = await c.call('POST', '/api/v1/namespaces/a/pods/web/binding', {
    token: tokens.alice,
    body: {},
  });
  assert.equal(
    named.body.message,
    'pods "web" is forbidden: User "alice" cannot create resource "pods/binding" in API group "" in the namespace "a"',
  );
  const path = await c.call('GET', '/metrics', { token: tokens.alice });
  assert.equal(path.body.message, 'forbidden: User "alice" cannot get path "/metrics"');
  const bad = await c.call('GET', '/healthz', { token: 'not-a-token' });
  assert.equal(bad.status, 401);
  assert.equal(bad.body.reason, 'Unauthorized');
});

test('SelfSubjectAccessReview and SelfSubjectRulesReview agree with what is enforced', async () => {
  // A node's rules list is incomplete (the Node authorizer decides object by object, as
  // Kubernetes answers), so for the node only the access reviews must agree.
  for (const who of ['alice', 'victor', 'sa', 'node']) {
    for (const ns of ['', 'a', 'b']) {
      const review = await c.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
        token: tokens[who] ?? '',
        body: { spec: { namespace: ns } },
      });
      assert.equal(review.status, 201);
      assert.equal(review.body.status.incomplete, who === 'node', `${who}: incomplete`);
      const rules: PolicyRule[] = [
        ...review.body.status.resourceRules,
        ...review.body.status.nonResourceRules,
      ];
      for (const [w, method, path, body] of MATRIX) {
        if (w !== who) continue;
        const [p, query] = path.split('?');
        const info = requestInfo(method, p ?? '', new URLSearchParams(query));
        if (info.namespace !== ns) continue;
        const attrs = withUser(info, { username: who, groups: [] });
        const listed = rules.some((r) => ruleAllows(attrs, r));
        // Access reviews ask the authorizers only, as Kubernetes': NodeRestriction's refusals
        // come later, from admission.
        const enforced = await authorized(who, method, path, body);
        if (who !== 'node')
          assert.equal(
            listed,
            enforced,
            `${who} ${method} ${path}: rules list ${listed}, enforced ${enforced}`,
          );
        const ssar = await c.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          token: tokens[who] ?? '',
          body: {
            spec: info.resourceRequest
              ? {
                  resourceAttributes: {
                    namespace: info.namespace,
                    verb: info.verb,
                    group: info.apiGroup,
                    resource: info.resource,
                    subresource: info.subresource,
                    name: info.name,
                    ...(info.fieldSelector ? { fieldSelector: { rawSelector: info.fieldSelector } } : {}),
                  },
                }
              : { nonResourceAttributes: { path: info.path, verb: info.verb } },
          },
        });
        assert.equal(ssar.body.status.allowed, enforced, `can-i ${who} ${method} ${path}`);
      }
    }
  }
});

test('SelfSubjectReview says who is asking; SubjectAccessReview asks for another user', async () => {
  const me = await c.call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    token: tokens.victor,
    body: {},
  });
  assert.deepEqual(me.body.status.userInfo, {
    username: 'victor',
    groups: ['viewers', 'system:authenticated'],
  });
  const sar = await c.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      spec: { user: 'alice', resourceAttributes: { namespace: 'a', verb: 'create', resource: 'configmaps' } },
    },
  });
  assert.equal(sar.body.status.allowed, true);
  const refused = await c.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    token: tokens.alice,
    body: { spec: { user: 'alice', resourceAttributes: { verb: 'get', resource: 'pods' } } },
  });
  assert.equal(refused.status, 403, 'only those allowed to create subjectaccessreviews may ask about others');
  const list = await c.call('GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
  assert.equal(list.status, 405);
});

test('impersonation needs the impersonate verb and then acts as the impersonated user', async () => {
  const asAlice = { 'Impersonate-User': 'alice' };
  const admin = await c.call('GET', '/api/v1/nodes', { headers: asAlice });
  assert.equal(admin.status, 403);
  assert.match(admin.body.message, /User "alice" cannot list resource "nodes"/);
  const refused = await c.call('GET', '/api/v1/namespaces/a/pods', {
    token: tokens.victor,
    headers: asAlice,
  });
  assert.equal(
    refused.body.message,
    'users "alice" is forbidden: User "victor" cannot impersonate resource "users" in API group "" at the cluster scope',
  );
  const groupOnly = await c.call('GET', '/api/v1/namespaces/a/pods', {
    headers: { 'Impersonate-Group': 'viewers' },
  });
  assert.equal(groupOnly.status, 400);
  const who = await c.call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    body: {},
    headers: {
      'Impersonate-User': 'carol',
      'Impersonate-Group': 'viewers',
      'Impersonate-Uid': 'u-1',
      'Impersonate-Extra-Scopes': 'x',
    },
  });
  assert.deepEqual(who.body.status.userInfo, {
    username: 'carol',
    uid: 'u-1',
    groups: ['viewers', 'system:authenticated'],
    extra: { scopes: ['x'] },
  });
});

test('only system:masters writes token Secrets; a revoked token stops working', async () => {
  const forged = await c.call('POST', '/api/v1/namespaces/a/secrets', {
    token: tokens.alice,
    body: { metadata: { name: 'forged' }, type: 'stratus.dev/token', data: {} },
  });
  assert.equal(forged.status, 403);
  assert.equal(
    forged.body.message,
    'secrets "forged" is forbidden: only members of system:masters may create or change Secrets of type stratus.dev/token',
  );
  const token = await user('temp');
  assert.equal((await c.call('GET', '/api', { token })).status, 200);
  const name = tokenSecret(token, { username: 'temp', groups: [] }).metadata.name ?? '';
  assert.equal((await c.call('DELETE', `/api/v1/namespaces/kube-system/secrets/${name}`)).status, 200);
  assert.ok(await eventually(async () => (await c.call('GET', '/api', { token })).status === 401));
});

/** Names the SDK leg created (with `-sdk` appended). */
const sdkCreated = new Set<string>();
const KINDS: Record<string, string> = {
  pods: 'Pod',
  secrets: 'Secret',
  configmaps: 'ConfigMap',
  nodes: 'Node',
};

/**
 * A MATRIX row through @kubernetes/client-node's KubernetesObjectApi (reads, lists, creates,
 * merge patches and deletes of core kinds; objects it creates get `-sdk` names so the HTTP
 * rows' objects do not clash): the code the SDK saw, or undefined for rows it cannot express
 * (watches, subresources, selectors, collections, other groups, non-resource paths).
 */
async function sdkStatus(
  who: string,
  method: string,
  path: string,
  body: unknown,
): Promise<number | undefined> {
  const m = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/?]+))?$/.exec(path);
  const kind = KINDS[m?.[2] ?? ''];
  if (m === null || kind === undefined || (method === 'DELETE' && m[3] === undefined)) return undefined;
  // The kubeconfig's cluster (https, the cluster CA), with this user's token.
  const written = new KubeConfig();
  written.loadFromFile(c.server.kubeconfigPath);
  const cluster = written.getCurrentCluster();
  assert.ok(cluster);
  const kc = new KubeConfig();
  const token = who === 'admin' ? c.server.adminToken : tokens[who];
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: 'c' }],
    users: [{ name: who, ...(who === 'anonymous' ? {} : { token }) }],
    contexts: [{ name: 'c', cluster: 'c', user: who }],
    currentContext: 'c',
  });
  const api = KubernetesObjectApi.makeApiClient(kc);
  const named = (name: string) => ({
    apiVersion: 'v1',
    kind,
    metadata: { name, ...(m[1] ? { namespace: m[1] } : {}) },
  });
  try {
    if (method === 'GET' && m[3] === undefined) await api.list('v1', kind, m[1]);
    else if (method === 'GET') await api.read(named(m[3] ?? ''));
    else if (method === 'POST') {
      const b = body as { metadata: { name: string } };
      sdkCreated.add(b.metadata.name);
      await api.create({
        ...named(`${b.metadata.name}-sdk`),
        ...(b as object),
        metadata: named(`${b.metadata.name}-sdk`).metadata,
      });
      return 201;
    } else if (method === 'PATCH') {
      const patch = body as { metadata?: object };
      const target = named(m[3] ?? '');
      await api.patch(
        { ...target, ...patch, metadata: { ...target.metadata, ...patch.metadata } },
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
    } else if (method === 'DELETE') {
      const name = m[3] ?? '';
      await api.delete(named(sdkCreated.has(name) ? `${name}-sdk` : name));
    } else return undefined;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

test('the same matrix through @kubernetes/client-node gets the same answers', async () => {
  let rows = 0;
  for (const [who, method, path, body, expected] of MATRIX) {
    const got = await sdkStatus(who, method, path, body);
    if (got === undefined) continue;
    rows++;
    assert.equal(got, expected, `SDK: ${who} ${method} ${path}`);
  }
  assert.ok(rows >= 25, `only ${rows} rows went through the SDK`);
});
