import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../common/kube-object.js';
import { createRegistry } from '../../resources/index.js';
import { applyStrategicMergePatch, serverSideApply, ApplyConflictError } from './index.js';

// Runs a real Deployment through the generated Kubernetes schemas of the resource registry.
const registry = createRegistry();
const type = registry.byKind('apps/v1', 'Deployment');

function deployment(image: string, replicas: number, withProtocol: boolean): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image,
              ports: [withProtocol ? { containerPort: 80, protocol: 'TCP' } : { containerPort: 80 }],
              env: [{ name: 'MODE', value: 'prod' }],
            },
          ],
        },
      },
    },
  };
}

test('the registry Deployment schema drives strategic merge patch like kubectl apply expects', () => {
  assert.ok(type);
  const live = deployment('nginx:1.25', 2, true);
  const out = applyStrategicMergePatch(
    live,
    {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      spec: {
        replicas: 5,
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }],
            containers: [{ image: 'nginx:1.27', name: 'web' }],
          },
        },
      },
    },
    type.schema,
    type.schemas,
  ) as { spec: { replicas: number; template: { spec: { containers: unknown[] } } } };
  assert.equal(out.spec.replicas, 5);
  assert.deepEqual(out.spec.template.spec.containers, [
    {
      name: 'web',
      image: 'nginx:1.27',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      env: [{ name: 'MODE', value: 'prod' }],
    },
  ]);
});

test('server-side apply on the registry schema: ports without protocol match the defaulted live port', () => {
  assert.ok(type);
  const options = {
    manager: 'kubectl',
    force: false,
    schema: type.schema,
    schemas: type.schemas,
    apiVersion: 'apps/v1',
    now: '2026-11-27T12:00:00Z',
  };
  const created = serverSideApply(undefined, deployment('nginx:1.25', 2, false), options);
  // The API server defaults the port's protocol before storing.
  const live = structuredClone(created) as KubeObject & {
    spec: { template: { spec: { containers: Array<{ ports: Array<Record<string, unknown>> }> } } };
  };
  for (const c of live.spec.template.spec.containers) for (const p of c.ports) p.protocol ??= 'TCP';
  const next = serverSideApply(live, deployment('nginx:1.27', 2, false), options) as typeof live & {
    spec: { template: { spec: { containers: Array<{ image: string; ports: unknown[] }> } } };
  };
  assert.deepEqual(next.spec.template.spec.containers[0]?.ports, [{ containerPort: 80, protocol: 'TCP' }]);
  assert.equal(next.spec.template.spec.containers[0]?.image, 'nginx:1.27');
  assert.throws(
    () => serverSideApply(next, deployment('nginx:1.28', 3, false), { ...options, manager: 'other' }),
    (e: unknown) => e instanceof ApplyConflictError && e.conflicts.length === 2,
  );
});
