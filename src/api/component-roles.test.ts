/* eslint-disable @typescript-eslint/no-unsafe-member-access -- tests read JSON replies by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from './testing.js';

// The in-process components act as their own users (src/cli/server.ts gives each a loopback
// token), and those users hold what each component calls and nothing that would let one of them
// read the cluster's secrets or mint credentials. Asked with SubjectAccessReview, as `kubectl auth
// can-i --as=USER` asks.

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(() => c.close());

type Ask = [verb: string, resource: string, group?: string, namespace?: string, subresource?: string];

async function allowed(user: string, [verb, resource, group, namespace, subresource]: Ask): Promise<boolean> {
  const r = await c.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      spec: {
        user,
        groups: ['system:authenticated'],
        resourceAttributes: {
          verb,
          resource,
          group: group ?? '',
          namespace: namespace ?? '',
          subresource: subresource ?? '',
        },
      },
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.status.allowed === true;
}

/** What no component may do: read Secrets, mint tokens or keys' owners, impersonate, bind roles. */
const NEVER: Ask[] = [
  ['get', 'secrets', '', 'kube-system'],
  ['list', 'secrets'],
  ['create', 'secrets', '', 'kube-system'],
  ['create', 'serviceaccounts', '', 'default', 'token'],
  ['impersonate', 'users'],
  ['impersonate', 'groups'],
  ['create', 'clusterrolebindings', 'rbac.authorization.k8s.io'],
  ['bind', 'clusterroles', 'rbac.authorization.k8s.io'],
  ['create', 'nodecredentialrequests', 'iam.stratus.dev'],
  ['delete', 'namespaces'],
];

const COMPONENTS: Record<string, Ask[]> = {
  'system:kube-controller-manager': [
    ['create', 'pods', '', 'default'],
    ['patch', 'replicasets', 'apps', 'default'],
    ['update', 'deployments', 'apps', 'default', 'status'],
    ['create', 'serviceaccounts', '', 'team'],
    ['update', 'configmaps', '', 'team'],
    ['update', 'nodes', '', '', 'status'],
    ['escalate', 'clusterroles', 'rbac.authorization.k8s.io'],
    ['create', 'endpointslices', 'discovery.k8s.io', 'default'],
    ['update', 'endpoints', '', 'default'],
    ['patch', 'services', '', 'default', 'status'],
  ],
  'system:kube-scheduler': [
    ['watch', 'pods'],
    ['list', 'nodes'],
    ['create', 'pods', '', 'default', 'binding'],
    ['patch', 'pods', '', 'default', 'status'],
    ['create', 'events', '', 'default'],
  ],
  'system:stratus:s3-gateway': [
    ['list', 'buckets', 'storage.stratus.dev'],
    ['create', 'buckets', 'storage.stratus.dev'],
    ['update', 'buckets', 'storage.stratus.dev'],
    ['delete', 'buckets', 'storage.stratus.dev'],
    ['patch', 'buckets', 'storage.stratus.dev', '', 'status'],
  ],
  'system:stratus:ingress-controller': [
    ['watch', 'ingresses', 'networking.k8s.io'],
    ['list', 'ingressclasses', 'networking.k8s.io'],
    ['update', 'ingresses', 'networking.k8s.io', 'default', 'status'],
    ['watch', 'services'],
    ['watch', 'endpointslices', 'discovery.k8s.io'],
  ],
};

/** What one component may do that another must not. */
const NOT: Record<string, Ask[]> = {
  'system:kube-controller-manager': [
    ['create', 'pods', '', 'default', 'binding'],
    ['list', 'accesskeys', 'iam.stratus.dev'],
  ],
  'system:kube-scheduler': [
    ['create', 'pods', '', 'default'],
    ['delete', 'pods', '', 'default'],
    ['update', 'nodes'],
    ['list', 'accesskeys', 'iam.stratus.dev'],
  ],
  // Least privilege: the bucket mirror's verbs on Buckets; keys are read below the API.
  'system:stratus:s3-gateway': [
    ['list', 'pods'],
    ['create', 'pods', '', 'default'],
    ['get', 'configmaps', '', 'default'],
    ['get', 'accesskeys', 'iam.stratus.dev'],
    ['watch', 'accesskeys', 'iam.stratus.dev'],
    ['create', 'accesskeys', 'iam.stratus.dev'],
    ['delete', 'accesskeys', 'iam.stratus.dev'],
    ['deletecollection', 'buckets', 'storage.stratus.dev'],
    ['update', 'buckets', 'storage.stratus.dev', '', 'status'],
    ['list', 'resourcequotas'],
  ],
  'system:stratus:ingress-controller': [
    ['update', 'ingresses', 'networking.k8s.io', 'default'],
    ['list', 'pods'],
    ['list', 'accesskeys', 'iam.stratus.dev'],
  ],
};

test('each component may do its job and nothing that hands out credentials', async () => {
  for (const [user, asks] of Object.entries(COMPONENTS)) {
    for (const ask of asks) assert.equal(await allowed(user, ask), true, `${user} may ${ask.join(' ')}`);
    // The Ingress controller serves TLS Secrets of any namespace, as ingress-nginx reads them.
    const never =
      user === 'system:stratus:ingress-controller'
        ? NEVER.filter((a) => a[1] !== 'secrets' || a[0] === 'create')
        : NEVER;
    for (const ask of [...never, ...(NOT[user] ?? [])])
      assert.equal(await allowed(user, ask), false, `${user} may not ${ask.join(' ')}`);
  }
});

test("the resourcequota controller counts any kind and writes only quotas' status", async () => {
  const user = 'system:controller:resourcequota-controller';
  const may: Ask[] = [
    ['list', 'pods'],
    ['watch', 'secrets'],
    ['list', 'buckets', 'storage.stratus.dev'],
    ['update', 'resourcequotas', '', 'team', 'status'],
  ];
  const mayNot: Ask[] = [
    ['get', 'secrets', '', 'kube-system'],
    ['update', 'resourcequotas', '', 'team'],
    ['create', 'pods', '', 'default'],
    ...NEVER.filter(([verb]) => verb !== 'list'),
  ];
  for (const ask of may) assert.equal(await allowed(user, ask), true, `${user} may ${ask.join(' ')}`);
  for (const ask of mayNot) assert.equal(await allowed(user, ask), false, `${user} may not ${ask.join(' ')}`);
});

test("a node's service proxy may read Services and EndpointSlices", async () => {
  for (const [verb, resource, group] of [
    ['watch', 'services', ''],
    ['list', 'endpointslices', 'discovery.k8s.io'],
  ] as const) {
    const r = await c.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: {
        spec: {
          user: 'system:node:n1',
          groups: ['system:nodes', 'system:authenticated'],
          resourceAttributes: { verb, resource, group },
        },
      },
    });
    assert.equal(r.body.status.allowed, true, `${verb} ${resource}`);
  }
});

test("a node's bootstrap policy is empty: only the Node authorizer lets nodes in", async () => {
  const binding = await c.call('GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:node');
  assert.equal(binding.status, 200);
  assert.deepEqual(binding.body.subjects ?? [], []);
  // A user merely claiming the nodes group, without a node's name, gets nothing from it.
  const r = await c.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      spec: {
        user: 'mallory',
        groups: ['system:nodes', 'system:authenticated'],
        resourceAttributes: { verb: 'get', resource: 'nodes' },
      },
    },
  });
  assert.equal(r.body.status.allowed, false);
});
