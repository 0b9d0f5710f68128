import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { PatchError } from './errors.js';
import { deploymentSchema, testSchemas } from './test-schemas.js';

function deployment(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a', 'b'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'sidecar', image: 'busybox', args: ['sleep', '1000'] },
          ],
        },
      },
    },
  };
}

const smp = (target: unknown, patch: unknown): unknown =>
  applyStrategicMergePatch(target, patch, deploymentSchema, testSchemas);

test('the patch kubectl apply sends changes only the image and replicas', () => {
  const live = deployment();
  const before = structuredClone(live);
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}\n' } },
    spec: {
      replicas: 5,
      template: {
        spec: {
          $setElementOrder: undefined,
          '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }],
          containers: [{ image: 'nginx:1.27', name: 'web' }],
        },
      },
    },
  };
  const out = smp(live, patch) as ReturnType<typeof deployment>;
  const expected = deployment() as {
    metadata: Record<string, unknown>;
    spec: { replicas: number; template: { spec: { containers: Array<Record<string, unknown>> } } };
  };
  expected.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}\n' };
  expected.spec.replicas = 5;
  const web = expected.spec.template.spec.containers[0];
  assert.ok(web);
  web.image = 'nginx:1.27';
  assert.deepEqual(out, expected);
  assert.deepEqual(live, before, 'the live object is not mutated');
});

test('the exact single-container kubectl patch from the wire notes keeps ports and env', () => {
  const live = deployment() as { spec: { template: { spec: { containers: unknown[] } } } };
  live.spec.template.spec.containers = live.spec.template.spec.containers.slice(0, 1);
  const out = smp(live, {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '…' } },
    spec: {
      replicas: 5,
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'web' }],
          containers: [{ image: 'nginx:1.27', name: 'web' }],
        },
      },
    },
  }) as typeof live & { spec: { replicas: number } };
  assert.equal(out.spec.replicas, 5);
  assert.deepEqual(out.spec.template.spec.containers, [
    {
      name: 'web',
      image: 'nginx:1.27',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    },
  ]);
});

test('null deletes map keys; lists without a merge strategy are replaced', () => {
  const out = smp(deployment(), {
    metadata: { labels: { app: null, tier: 'front' } },
    spec: { template: { spec: { containers: [{ name: 'sidecar', args: ['sleep', '5'] }] } } },
  }) as ReturnType<typeof deployment> & {
    metadata: { labels: Record<string, string> };
    spec: { template: { spec: { containers: Array<Record<string, unknown>> } } };
  };
  assert.deepEqual(out.metadata.labels, { tier: 'front' });
  const sidecar = out.spec.template.spec.containers.find((c) => c.name === 'sidecar');
  assert.deepEqual(sidecar?.args, ['sleep', '5']);
  assert.equal(out.spec.template.spec.containers.length, 2);
});

test('new list elements follow the patch order, merged by key, nested lists merge too', () => {
  const out = smp(deployment(), {
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'web',
              env: [
                { name: 'B', value: 'two' },
                { name: 'C', value: '3' },
              ],
              ports: [{ containerPort: 443 }],
            },
            { name: 'new', image: 'redis' },
          ],
        },
      },
    },
  }) as {
    spec: { template: { spec: { containers: Array<{ name: string; env?: unknown; ports?: unknown }> } } };
  };
  const containers = out.spec.template.spec.containers;
  assert.deepEqual(
    containers.map((c) => c.name),
    ['web', 'new', 'sidecar'],
    'patch items keep the patch order; the server-only sidecar goes after them (as Kubernetes does)',
  );
  assert.deepEqual(containers[0]?.env, [
    { name: 'A', value: '1' },
    { name: 'B', value: 'two' },
    { name: 'C', value: '3' },
  ]);
  assert.deepEqual(containers[0]?.ports, [{ containerPort: 443 }, { containerPort: 80, protocol: 'TCP' }]);
});

test('$patch: delete removes a list element; $patch: replace replaces a list or a map', () => {
  const del = smp(deployment(), {
    spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } },
  }) as { spec: { template: { spec: { containers: Array<{ name: string }> } } } };
  assert.deepEqual(
    del.spec.template.spec.containers.map((c) => c.name),
    ['web'],
  );
  const rep = smp(deployment(), {
    spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } },
  }) as { spec: { template: { spec: { containers: unknown[] } } } };
  assert.deepEqual(rep.spec.template.spec.containers, [{ name: 'only', image: 'x' }]);
  const map = smp(deployment(), { metadata: { labels: { $patch: 'replace', only: 'this' } } }) as {
    metadata: { labels: unknown };
  };
  assert.deepEqual(map.metadata.labels, { only: 'this' });
  const gone = smp(deployment(), { spec: { selector: { $patch: 'delete' } } }) as {
    spec: { selector: unknown };
  };
  assert.deepEqual(gone.spec.selector, {});
  const merged = smp(deployment(), { metadata: { labels: { $patch: 'merge', b: 'c' } } }) as {
    metadata: { labels: unknown };
  };
  assert.deepEqual(merged.metadata.labels, { app: 'web', b: 'c' });
});

test('scalar merge lists merge as sets; $deleteFromPrimitiveList removes values', () => {
  const added = smp(deployment(), { metadata: { finalizers: ['c', 'a'] } }) as {
    metadata: { finalizers: string[] };
  };
  assert.deepEqual(added.metadata.finalizers, ['c', 'a', 'b']);
  const removed = smp(deployment(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }) as {
    metadata: { finalizers: string[] };
  };
  assert.deepEqual(removed.metadata.finalizers, ['b']);
});

test('$setElementOrder reorders, interleaving server-only items by their live position', () => {
  const live = {
    spec: {
      template: {
        spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
      },
    },
  };
  const out = smp(live, {
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }] } } },
  }) as { spec: { template: { spec: { containers: Array<{ name: string }> } } } };
  assert.deepEqual(
    out.spec.template.spec.containers.map((c) => c.name),
    ['b', 'c', 'a'],
  );
  const withNew = smp(live, {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'd' }, { name: 'a' }, { name: 'c' }],
          containers: [{ name: 'd', image: 'x' }],
        },
      },
    },
  }) as { spec: { template: { spec: { containers: Array<{ name: string }> } } } };
  assert.deepEqual(
    withNew.spec.template.spec.containers.map((c) => c.name),
    ['d', 'a', 'b', 'c'],
  );
  const scalars = smp(
    { metadata: { finalizers: ['x', 'y', 'z'] } },
    { metadata: { '$setElementOrder/finalizers': ['z', 'x'] } },
  ) as { metadata: { finalizers: string[] } };
  assert.deepEqual(scalars.metadata.finalizers, ['y', 'z', 'x']);
});

test('$retainKeys clears fields not listed (volume source switch)', () => {
  const live = { spec: { template: { spec: { volumes: [{ name: 'v', emptyDir: {} }] } } } };
  const out = smp(live, {
    spec: {
      template: {
        spec: { volumes: [{ name: 'v', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }] },
      },
    },
  }) as { spec: { template: { spec: { volumes: unknown[] } } } };
  assert.deepEqual(out.spec.template.spec.volumes, [{ name: 'v', configMap: { name: 'cm' } }]);
  assert.throws(
    () =>
      smp(live, {
        spec: { template: { spec: { volumes: [{ name: 'v', $retainKeys: ['name'], emptyDir: {} }] } } },
      }),
    (e: unknown) => e instanceof PatchError && e.status === 422,
  );
});

test('without a schema it behaves like a merge patch; directives never leak into new values', () => {
  const out = applyStrategicMergePatch(
    { data: { a: '1' }, list: [1, 2] },
    { data: { b: '2', a: null }, list: [3], fresh: { x: null, y: 1, '$setElementOrder/z': [] } },
    undefined,
    { definitions: {} },
  );
  assert.deepEqual(out, { data: { b: '2' }, list: [3], fresh: { y: 1 } });
});

test('malformed patches throw PATCH_INVALID', () => {
  const bad = (patch: unknown, status: number): void =>
    assert.throws(
      () => smp(deployment(), patch),
      (e: unknown) => e instanceof PatchError && e.code === 'PATCH_INVALID' && e.status === status,
    );
  bad([1], 400);
  bad({ metadata: { $patch: 'explode' } }, 422);
  bad({ spec: { template: { spec: { containers: [{ image: 'no-name' }] } } } }, 422);
  bad({ spec: { template: { spec: { containers: [{ $patch: 'delete' }] } } } }, 422);
});

test('what kubectl sends to drop a container and an env var: $patch: delete with $setElementOrder', () => {
  const out = smp(deployment(), {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'web' }],
          containers: [
            { '$setElementOrder/env': [{ name: 'A' }], env: [{ $patch: 'delete', name: 'B' }], name: 'web' },
            { $patch: 'delete', name: 'sidecar' },
          ],
        },
      },
    },
  }) as { spec: { template: { spec: { containers: Array<{ name: string; env: unknown }> } } } };
  assert.deepEqual(
    out.spec.template.spec.containers.map((c) => c.name),
    ['web'],
  );
  assert.deepEqual(out.spec.template.spec.containers[0]?.env, [{ name: 'A', value: '1' }]);
});
