import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../common/kube-object.js';
import { expandWorkloads } from './plan.js';

test('workloads expand into the pods they would create; other kinds create none', () => {
  const objects: KubeObject[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        replicas: 2,
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c' }] } },
      },
    },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db' }, spec: { containers: [{ name: 'c' }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pinned' }, spec: { nodeName: 'n1', containers: [] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' } },
  ];
  const planned = expandWorkloads(objects, { namespace: 'dev' });
  assert.deepEqual(
    planned.map((p) => [p.pod.metadata?.namespace, p.pod.metadata?.name, p.owner, p.ordinal, p.replicas]),
    [
      ['shop', 'web-1', 'deployment/web', 1, 2],
      ['shop', 'web-2', 'deployment/web', 2, 2],
      ['dev', 'db', 'pod/db', 1, 1],
    ],
  );
  assert.deepEqual(planned[0]?.pod.metadata?.labels, { app: 'web' });
});
