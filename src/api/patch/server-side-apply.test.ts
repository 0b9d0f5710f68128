import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../common/kube-object.js';
import { ApplyConflictError } from './errors.js';
import { serverSideApply, type ServerSideApplyOptions } from './server-side-apply.js';
import { updateManagedFields } from './managed-fields.js';
import { deploymentSchema, testSchemas } from './test-schemas.js';

const T1 = '2026-11-27T10:00:00Z';
const T2 = '2026-11-27T11:00:00Z';

function opts(manager: string, extra: Partial<ServerSideApplyOptions> = {}): ServerSideApplyOptions {
  return {
    manager,
    force: false,
    schema: deploymentSchema,
    schemas: testSchemas,
    apiVersion: 'apps/v1',
    now: T1,
    ...extra,
  };
}

function config(image = 'nginx:1.25', replicas = 3): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image, ports: [{ containerPort: 80, protocol: 'TCP' }] }],
        },
      },
    },
  };
}

/** What the API server adds after apply: identity, defaults and status. */
function stored(obj: KubeObject): KubeObject {
  const out = structuredClone(obj) as KubeObject & {
    spec: { template: { spec: { containers: Array<Record<string, unknown>> } } };
  };
  out.metadata.uid = 'u-1';
  out.metadata.resourceVersion = '10';
  out.metadata.creationTimestamp = T1;
  for (const c of out.spec.template.spec.containers) c.imagePullPolicy ??= 'IfNotPresent';
  out.status = { replicas: 3 };
  return out;
}

interface Dep {
  spec: {
    replicas?: number;
    template: {
      spec: { containers: Array<{ name: string; image?: string; env?: unknown; ports?: unknown }> };
    };
  };
  metadata: KubeObject['metadata'];
  status?: unknown;
}

test('apply creates the object and records FieldsV1 like Kubernetes', () => {
  const applied = config();
  const before = structuredClone(applied);
  const out = serverSideApply(undefined, applied, opts('kubectl'));
  assert.deepEqual(applied, before, 'the applied configuration is not mutated');
  assert.equal(out.metadata.name, 'web');
  assert.deepEqual(out.metadata.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': { 'f:matchLabels': { 'f:app': {} } },
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"web"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': {
                    'k:{"containerPort":80,"protocol":"TCP"}': {
                      '.': {},
                      'f:containerPort': {},
                      'f:protocol': {},
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  ]);
});

test('re-applying the same configuration changes nothing, not even the time', () => {
  const live = stored(serverSideApply(undefined, config(), opts('kubectl')));
  const again = serverSideApply(live, config(), opts('kubectl', { now: T2 }));
  assert.deepEqual(again, live);
});

test('apply ignores status and server-set metadata in the configuration', () => {
  const live = stored(serverSideApply(undefined, config(), opts('kubectl')));
  const applied = config();
  applied.status = { replicas: 99 };
  applied.metadata.uid = 'forged';
  applied.metadata.resourceVersion = '1';
  applied.metadata.managedFields = [{ manager: 'evil', operation: 'Apply', fieldsV1: { 'f:spec': {} } }];
  const out = serverSideApply(live, applied, opts('kubectl', { now: T2 }));
  assert.deepEqual(out.status, { replicas: 3 });
  assert.equal(out.metadata.uid, 'u-1');
  assert.equal(out.metadata.resourceVersion, '10');
  assert.deepEqual(
    out.metadata.managedFields?.map((m) => m.manager),
    ['kubectl'],
  );
});

test('fields the manager applied before and omits now are removed; defaults stay', () => {
  const first = config() as KubeObject & Dep;
  first.spec.template.spec.containers[0] = {
    name: 'web',
    image: 'nginx:1.25',
    env: [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ],
  };
  (first.metadata.labels as Record<string, string>).tier = 'front';
  const live = stored(serverSideApply(undefined, first, opts('kubectl')));
  const second = config() as KubeObject & Dep;
  second.spec.template.spec.containers[0] = {
    name: 'web',
    image: 'nginx:1.25',
    env: [{ name: 'A', value: '1' }],
  };
  delete second.spec.replicas;
  const out = serverSideApply(live, second, opts('kubectl', { now: T2 })) as KubeObject & Dep;
  assert.deepEqual(out.metadata.labels, { app: 'web' });
  assert.equal(out.spec.replicas, undefined);
  assert.deepEqual(out.spec.template.spec.containers, [
    { name: 'web', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }], imagePullPolicy: 'IfNotPresent' },
  ]);
  assert.equal(out.metadata.managedFields?.[0]?.time, T2);
});

test('a field another manager set with a different value conflicts, in Kubernetes words', () => {
  const created = updateManagedFields(undefined, stored(config('nginx:1.25', 3)), {
    manager: 'kubectl-client-side-apply',
    operation: 'Update',
    schema: deploymentSchema,
    schemas: testSchemas,
    apiVersion: 'apps/v1',
    now: T1,
  });
  const attempt = (): KubeObject =>
    serverSideApply(created, config('nginx:1.25', 5), opts('kubectl', { now: T2 }));
  assert.throws(attempt, (err: unknown) => {
    assert.ok(err instanceof ApplyConflictError);
    assert.equal(err.code, 'APPLY_CONFLICT');
    assert.equal(err.status, 409);
    assert.equal(
      err.message,
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    assert.deepEqual(err.conflicts, [
      {
        field: '.spec.replicas',
        manager: '"kubectl-client-side-apply" using apps/v1',
        managerName: 'kubectl-client-side-apply',
        path: ['f:spec', 'f:replicas'],
      },
    ]);
    return true;
  });
  const two = (): KubeObject =>
    serverSideApply(created, config('nginx:1.27', 5), opts('kubectl', { now: T2 }));
  assert.throws(two, (err: unknown) => {
    assert.ok(err instanceof ApplyConflictError);
    assert.equal(
      err.message,
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
        '- .spec.replicas\n' +
        '- .spec.template.spec.containers[name="web"].image',
    );
    return true;
  });
});

test('force moves ownership; equal values are shared and survive the applier dropping them', () => {
  const created = updateManagedFields(undefined, stored(config('nginx:1.25', 3)), {
    manager: 'kubectl-client-side-apply',
    operation: 'Update',
    schema: deploymentSchema,
    schemas: testSchemas,
    apiVersion: 'apps/v1',
    now: T1,
  });
  const forced = serverSideApply(
    created,
    config('nginx:1.25', 5),
    opts('kubectl', { force: true, now: T2 }),
  ) as KubeObject & Dep;
  assert.equal(forced.spec.replicas, 5);
  const [apply, update] = forced.metadata.managedFields ?? [];
  assert.equal(apply?.manager, 'kubectl');
  assert.equal(update?.manager, 'kubectl-client-side-apply');
  const csaSpec = (update?.fieldsV1 as { 'f:spec': Record<string, unknown> })['f:spec'];
  assert.equal(csaSpec['f:replicas'], undefined, 'the old manager lost .spec.replicas');
  assert.ok(csaSpec['f:template'], 'and kept the shared fields');
  // The applier now drops the image: the other manager still owns it, so it stays.
  const noImage = config('nginx:1.25', 5) as KubeObject & Dep;
  delete noImage.spec.template.spec.containers[0]?.image;
  const out = serverSideApply(forced, noImage, opts('kubectl', { now: T2 })) as KubeObject & Dep;
  assert.equal(out.spec.template.spec.containers[0]?.image, 'nginx:1.25');
});

test('two appliers own separate parts; each removes only its own', () => {
  const a = config();
  const live1 = stored(serverSideApply(undefined, a, opts('team-a')));
  const b: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { owner: 'b' } },
    spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } } },
  };
  const live2 = serverSideApply(live1, b, opts('team-b', { now: T2 })) as KubeObject & Dep;
  assert.deepEqual(
    live2.spec.template.spec.containers.map((c) => c.name),
    ['web', 'sidecar'],
  );
  assert.deepEqual(live2.metadata.labels, { app: 'web', owner: 'b' });
  const bGone: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } };
  const live3 = serverSideApply(live2, bGone, opts('team-b', { now: T2 })) as KubeObject & Dep;
  assert.deepEqual(
    live3.spec.template.spec.containers.map((c) => c.name),
    ['web'],
  );
  assert.deepEqual(live3.metadata.labels, { app: 'web' });
  assert.deepEqual(
    live3.metadata.managedFields?.map((m) => m.manager),
    ['team-a'],
  );
});

test('an object without managedFields is owned by before-first-apply', () => {
  const legacy = stored(config('nginx:1.25', 3));
  assert.throws(
    () => serverSideApply(legacy, config('nginx:1.25', 4), opts('kubectl')),
    /conflict with "before-first-apply" using apps\/v1: \.spec\.replicas/,
  );
  const same = serverSideApply(legacy, config('nginx:1.25', 3), opts('kubectl'));
  assert.deepEqual(
    same.metadata.managedFields?.map((m) => m.manager),
    ['kubectl', 'before-first-apply'],
  );
});

test('kubectl server-side apply takes over fields from its last client-side apply', () => {
  const previous = config('nginx:1.25', 3);
  const live = stored(previous);
  live.metadata.annotations = {
    'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(previous),
  };
  const created = updateManagedFields(undefined, live, {
    manager: 'kubectl-client-side-apply',
    operation: 'Update',
    schema: deploymentSchema,
    schemas: testSchemas,
    apiVersion: 'apps/v1',
    now: T1,
  });
  const out = serverSideApply(created, config('nginx:1.27', 5), opts('kubectl', { now: T2 })) as KubeObject &
    Dep;
  assert.equal(out.spec.replicas, 5);
  assert.equal(out.spec.template.spec.containers[0]?.image, 'nginx:1.27');
  assert.throws(
    () => serverSideApply(created, config('nginx:1.27', 5), opts('someone-else', { now: T2 })),
    ApplyConflictError,
    'other managers still conflict',
  );
});

test('owning a map itself (".") and then applying only its entries keeps the map and its entries', () => {
  // The managedFields kubectl writes when it migrates a client-side-applied object.
  const live = stored(config());
  live.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
  live.metadata.managedFields = [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': {
          'f:labels': { '.': {}, 'f:app': {} },
          'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} },
        },
      },
    },
    {
      manager: 'kubectl-last-applied',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:annotations': { 'f:kubectl.kubernetes.io/last-applied-configuration': {} } },
      },
    },
  ];
  const out = serverSideApply(live, config(), opts('kubectl', { now: T2 }));
  assert.deepEqual(out.metadata.labels, { app: 'web' });
  assert.deepEqual(out.metadata.annotations, { 'kubectl.kubernetes.io/last-applied-configuration': '{}' });
  assert.deepEqual(
    out.metadata.managedFields?.map((m) => m.manager),
    ['kubectl-last-applied', 'kubectl'],
    'entries sort by time: kubectl just applied',
  );
});

test('set lists (finalizers) are owned value by value', () => {
  const withFinalizers = (...f: string[]): KubeObject => {
    const c = config();
    c.metadata.finalizers = f;
    return c;
  };
  const live = stored(serverSideApply(undefined, withFinalizers('a.io/x', 'b.io/y'), opts('team-a')));
  const both = serverSideApply(live, withFinalizers('b.io/y', 'c.io/z'), opts('team-b', { now: T2 }));
  assert.deepEqual(both.metadata.finalizers, ['a.io/x', 'b.io/y', 'c.io/z']);
  const aDrops = serverSideApply(both, withFinalizers(), opts('team-a', { now: T2 }));
  assert.deepEqual(aDrops.metadata.finalizers, ['b.io/y', 'c.io/z'], 'b.io/y stays: team-b still owns it');
  const fields = aDrops.metadata.managedFields?.find((m) => m.manager === 'team-b')?.fieldsV1 as {
    'f:metadata': { 'f:finalizers': Record<string, unknown> };
  };
  assert.deepEqual(fields['f:metadata']['f:finalizers'], { 'v:"b.io/y"': {}, 'v:"c.io/z"': {} });
});

test('apply to the status subresource owns status only', () => {
  const live = stored(serverSideApply(undefined, config(), opts('kubectl')));
  const statusApply: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    status: { replicas: 2, observedGeneration: 1 },
  };
  const out = serverSideApply(
    live,
    statusApply,
    opts('deployment-controller', { subresource: 'status', now: T2 }),
  );
  assert.deepEqual(out.status, { replicas: 2, observedGeneration: 1 });
  const entry = out.metadata.managedFields?.find((m) => m.manager === 'deployment-controller');
  assert.equal(entry?.subresource, 'status');
  assert.deepEqual(entry?.fieldsV1, { 'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} } });
  assert.deepEqual((out as KubeObject & Dep).spec.replicas, 3, 'spec untouched');
});
