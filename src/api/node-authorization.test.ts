/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- tests read JSON replies by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { joinNode, startTestCluster, type TestCluster } from './testing.js';

// A node credential is confined as Kubernetes' Node authorizer and NodeRestriction confine a
// kubelet: it reads only what its pods use, writes only its own objects, mints no tokens.

let c: TestCluster;
let n1 = '';

const pod = (name: string, node: string, secret: string): unknown => ({
  metadata: { name, labels: { app: name } },
  spec: {
    nodeName: node,
    containers: [
      {
        name: 'c',
        image: 'x',
        env: [{ name: 'S', valueFrom: { secretKeyRef: { name: secret, key: 'k' } } }],
      },
    ],
  },
});

before(async () => {
  c = await startTestCluster();
  n1 = await joinNode(c, 'n1');
  for (const name of ['mine', 'theirs'])
    await c.call('POST', '/api/v1/namespaces/default/secrets', {
      body: { metadata: { name }, stringData: { k: name } },
    });
  await c.call('POST', '/api/v1/namespaces/default/pods', { body: pod('here', 'n1', 'mine') });
  await c.call('POST', '/api/v1/namespaces/default/pods', { body: pod('there', 'n2', 'theirs') });
});
after(() => c.close());

const as = (method: string, path: string, body?: unknown) =>
  c.call(method, path, {
    token: n1,
    contentType: method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
    ...(body !== undefined ? { body } : {}),
  });

test('a node reads the Secret its pod uses and no other', async () => {
  assert.equal((await as('GET', '/api/v1/namespaces/default/secrets/mine')).status, 200);
  const other = await as('GET', '/api/v1/namespaces/default/secrets/theirs');
  assert.equal(other.status, 403);
  assert.equal(
    other.body.message,
    `secrets "theirs" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object`,
  );
  // Once the pod that used it is gone, so is the node's access.
  await c.call('DELETE', '/api/v1/namespaces/default/pods/here?gracePeriodSeconds=0');
  await c.call('POST', '/api/v1/namespaces/default/pods', { body: pod('here2', 'n1', 'other') });
  const { eventually } = await import('./testing.js');
  assert.ok(
    await eventually(async () => (await as('GET', '/api/v1/namespaces/default/secrets/mine')).status === 403),
  );
});

test("a node cannot write another node's pods, nor its own pods' labels", async () => {
  const status = await as('PATCH', '/api/v1/namespaces/default/pods/there/status', {
    status: { message: 'x' },
  });
  assert.equal(status.status, 403);
  assert.equal(
    status.body.message,
    'pods "there" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself',
  );
  const del = await as('DELETE', '/api/v1/namespaces/default/pods/there');
  assert.equal(
    del.body.message,
    'pods "there" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself',
  );
  const labels = await as('PATCH', '/api/v1/namespaces/default/pods/here2/status', {
    metadata: { labels: { app: 'stolen' } },
  });
  assert.equal(
    labels.body.message,
    'pods "here2" is forbidden: node "n1" cannot update labels through pod status',
  );
  const create = await as('POST', '/api/v1/namespaces/default/pods', pod('made', 'n1', 'mine'));
  assert.equal(create.status, 403);
  assert.match(create.body.message, /node "n1" can only create mirror pods/);
});

test('a node cannot create tokens of any kind', async () => {
  const secret = await as('POST', '/api/v1/namespaces/kube-system/secrets', {
    metadata: { name: 'stratus-token-forged' },
    type: 'stratus.dev/token',
    data: {},
  });
  assert.equal(secret.status, 403);
  assert.equal(
    secret.body.message,
    'secrets is forbidden: User "system:node:n1" cannot create resource "secrets" in API group "" in the namespace "kube-system": can only read resources of this type',
  );
  const unbound = await as('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { spec: {} });
  assert.equal(unbound.status, 403);
  assert.equal(
    unbound.body.message,
    'serviceaccounts "default" is forbidden: node requested token not bound to a pod',
  );
  const other = await as('POST', '/apis/iam.stratus.dev/v1/nodecredentialrequests', {
    spec: { nodeName: 'n2' },
  });
  assert.equal(
    other.body.message,
    'nodecredentialrequests.iam.stratus.dev is forbidden: node "n1" can only request a credential for itself',
  );
  const join = await as('POST', '/api/v1/namespaces/kube-system/secrets', {
    metadata: { name: 'bootstrap-token-abcdef' },
    type: 'bootstrap.kubernetes.io/token',
  });
  assert.equal(join.status, 403);
});

test('a node writes only its own Node and Lease, never its taints or restricted labels', async () => {
  const node = (name: string, labels: Record<string, string> = {}): unknown => ({
    metadata: { name, labels },
  });
  assert.equal((await as('POST', '/api/v1/nodes', node('n1'))).status, 201);
  const other = await as('POST', '/api/v1/nodes', node('n2'));
  assert.equal(other.body.message, 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
  const role = await as('PATCH', '/api/v1/nodes/n1', {
    metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } },
  });
  assert.equal(
    role.body.message,
    'nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane',
  );
  await c.call('PATCH', '/api/v1/nodes/n1', {
    contentType: 'application/merge-patch+json',
    body: { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } },
  });
  const untaint = await as('PATCH', '/api/v1/nodes/n1', { spec: { taints: null } });
  assert.equal(untaint.body.message, 'nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
  const lease = (name: string): unknown => ({ metadata: { name }, spec: { holderIdentity: name } });
  assert.equal(
    (await as('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('n1'))).status,
    201,
  );
  const theirs = await as(
    'POST',
    '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
    lease('n2'),
  );
  assert.equal(
    theirs.body.message,
    'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node',
  );
});
