import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  groupResource,
  kindGroup,
  parseAggregatedDiscovery,
  parseResourceList,
  resolveResource,
  resourceForKind,
  resourcePath,
  resourcesInCategory,
} from './discovery.js';

const aggregated = {
  kind: 'APIGroupDiscoveryList',
  apiVersion: 'apidiscovery.k8s.io/v2',
  items: [
    {
      metadata: { name: 'apps' },
      versions: [
        {
          version: 'v1',
          resources: [
            {
              resource: 'deployments',
              responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
              scope: 'Namespaced',
              singularResource: 'deployment',
              verbs: ['get', 'list'],
              shortNames: ['deploy'],
              categories: ['all'],
              subresources: [{ subresource: 'status' }, { subresource: 'scale' }],
            },
          ],
        },
      ],
    },
    {
      metadata: { name: 'example.com' },
      versions: [
        {
          version: 'v2',
          resources: [
            {
              resource: 'deployments',
              responseKind: { group: 'example.com', version: 'v2', kind: 'Deployment' },
              scope: 'Cluster',
            },
          ],
        },
        {
          version: 'v1',
          resources: [
            {
              resource: 'deployments',
              responseKind: { group: 'example.com', version: 'v1', kind: 'Deployment' },
              scope: 'Cluster',
            },
          ],
        },
      ],
    },
  ],
};

const core = parseResourceList(
  {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      {
        name: 'pods',
        singularName: 'pod',
        namespaced: true,
        kind: 'Pod',
        verbs: ['get'],
        shortNames: ['po'],
      },
      { name: 'pods/log', namespaced: true, kind: 'Pod', verbs: ['get'] },
      {
        name: 'nodes',
        singularName: '',
        namespaced: false,
        kind: 'Node',
        verbs: ['get'],
        shortNames: ['no'],
      },
    ],
  },
  true,
);

const all = [...parseAggregatedDiscovery(aggregated), ...core];

test('aggregated discovery yields every version, the first one preferred', () => {
  const ours = all.filter((r) => r.group === 'example.com');
  assert.deepEqual(
    ours.map((r) => [r.version, r.preferred, r.namespaced]),
    [
      ['v2', true, false],
      ['v1', false, false],
    ],
  );
  const deploy = all.find((r) => r.group === 'apps');
  assert.deepEqual(deploy?.subresources, ['status', 'scale']);
  assert.equal(deploy?.singular, 'deployment');
});

test('legacy resource lists attach subresources and default the singular name', () => {
  assert.deepEqual(core.find((r) => r.resource === 'pods')?.subresources, ['log']);
  assert.equal(core.find((r) => r.resource === 'nodes')?.singular, 'node');
});

test('users name a resource by plural, singular, short name, kind, or qualified', () => {
  for (const name of [
    'deploy',
    'deployments',
    'deployment',
    'Deployment',
    'deployment.apps',
    'deployments.v1.apps',
  ]) {
    const r = resolveResource(all, name);
    assert.equal(r && `${r.group}/${r.version}`, 'apps/v1', name);
  }
  const custom = resolveResource(all, 'deployments.example.com');
  assert.equal(custom && `${custom.group}/${custom.version}`, 'example.com/v2');
  const v1 = resolveResource(all, 'deployments.v1.example.com');
  assert.equal(v1?.version, 'v1');
  assert.equal(resolveResource(all, 'po')?.kind, 'Pod');
  assert.equal(resolveResource(all, 'nope'), undefined);
});

test('paths, names and kinds are spelled as Kubernetes spells them', () => {
  const deploy = resolveResource(all, 'deploy');
  const pod = resolveResource(all, 'pod');
  const node = resolveResource(all, 'node');
  assert.ok(deploy && pod && node);
  assert.equal(
    resourcePath(deploy, { namespace: 'default', name: 'web' }),
    '/apis/apps/v1/namespaces/default/deployments/web',
  );
  assert.equal(
    resourcePath(pod, { namespace: 'a b', name: 'p', subresource: 'log' }),
    '/api/v1/namespaces/a%20b/pods/p/log',
  );
  assert.equal(resourcePath(node, { namespace: 'default' }), '/api/v1/nodes');
  assert.equal(resourcePath(deploy), '/apis/apps/v1/deployments');
  assert.equal(groupResource(deploy), 'deployments.apps');
  assert.equal(groupResource(pod), 'pods');
  assert.equal(kindGroup(deploy), 'deployment.apps');
  assert.equal(kindGroup(pod), 'pod');
  assert.equal(resourceForKind(all, 'example.com/v1', 'Deployment')?.version, 'v1');
  assert.equal(resourceForKind(all, 'v1', 'Pod')?.resource, 'pods');
});

test('get all lists the category in kubectl order, preferred versions only', () => {
  const withPods = all.map((r) => (r.resource === 'pods' ? { ...r, categories: ['all'] } : r));
  assert.deepEqual(
    resourcesInCategory(withPods, 'all').map((r) => r.resource),
    ['pods', 'deployments'],
  );
});
