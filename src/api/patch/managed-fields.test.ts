import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../common/kube-object.js';
import { updateManagedFields, type UpdateManagedFieldsOptions } from './managed-fields.js';
import { deploymentSchema, testSchemas } from './test-schemas.js';

function opts(
  manager: string,
  now: string | number,
  extra: Partial<UpdateManagedFieldsOptions> = {},
): UpdateManagedFieldsOptions {
  return {
    manager,
    operation: 'Update',
    schema: deploymentSchema,
    schemas: testSchemas,
    apiVersion: 'apps/v1',
    now,
    ...extra,
  };
}

const deployment = (replicas: number, image: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', uid: 'u', resourceVersion: '3', labels: { app: 'web' } },
  spec: {
    replicas,
    template: { spec: { containers: [{ name: 'web', image }] } },
  },
  status: { replicas: 1 },
});

test('create records an Update entry: maps and list items are members, status is not', () => {
  const input = deployment(2, 'nginx');
  const out = updateManagedFields(
    undefined,
    input,
    opts('kubectl-create', Date.UTC(2026, 10, 27, 9, 30, 0, 123)),
  );
  assert.equal(input.metadata.managedFields, undefined, 'input not mutated');
  assert.deepEqual(out.metadata.managedFields, [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2026-11-27T09:30:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:template': {
            'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
          },
        },
      },
    },
  ]);
});

test('a later update takes the changed fields from the earlier manager', () => {
  const created = updateManagedFields(
    undefined,
    deployment(2, 'nginx'),
    opts('kubectl-create', '2026-11-27T09:00:00Z'),
  );
  const scaled = structuredClone(created) as KubeObject & { spec: { replicas: number } };
  scaled.spec.replicas = 5;
  const out = updateManagedFields(
    created,
    scaled,
    opts('kubectl-scale', '2026-11-27T10:00:00Z', { subresource: 'scale' }),
  );
  const entries = out.metadata.managedFields ?? [];
  assert.deepEqual(
    entries.map((e) => [e.manager, e.subresource, e.time]),
    [
      ['kubectl-create', undefined, '2026-11-27T09:00:00Z'],
      ['kubectl-scale', 'scale', '2026-11-27T10:00:00Z'],
    ],
  );
  assert.deepEqual(entries[1]?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  const createSpec = (entries[0]?.fieldsV1 as { 'f:spec': Record<string, unknown> })['f:spec'];
  assert.equal(createSpec['f:replicas'], undefined);
});

test('status writes own only status; removed fields leave every manager', () => {
  const created = updateManagedFields(
    undefined,
    deployment(2, 'nginx'),
    opts('kubectl-create', '2026-11-27T09:00:00Z'),
  );
  const status = structuredClone(created);
  status.status = { replicas: 2 };
  const afterStatus = updateManagedFields(
    created,
    status,
    opts('deployment-controller', '2026-11-27T09:01:00Z', { subresource: 'status' }),
  );
  const ctrl = afterStatus.metadata.managedFields?.find((e) => e.manager === 'deployment-controller');
  assert.deepEqual(ctrl?.fieldsV1, { 'f:status': { 'f:replicas': {} } });
  const unlabeled = structuredClone(afterStatus);
  delete unlabeled.metadata.labels;
  const out = updateManagedFields(afterStatus, unlabeled, opts('editor', '2026-11-27T09:02:00Z'));
  const create = out.metadata.managedFields?.find((e) => e.manager === 'kubectl-create');
  assert.equal((create?.fieldsV1 as Record<string, unknown>)['f:metadata'], undefined);
  assert.equal(
    out.metadata.managedFields?.find((e) => e.manager === 'editor'),
    undefined,
    'a write that only removes gives its manager nothing',
  );
});

test('managedFields sent by the client replace the stored ones; [{}] clears them', () => {
  const created = updateManagedFields(
    undefined,
    deployment(2, 'nginx'),
    opts('kubectl-client-side-apply', '2026-11-27T09:00:00Z'),
  );
  const migrated = structuredClone(created);
  migrated.metadata.managedFields = [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2026-11-27T09:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    },
  ];
  const out = updateManagedFields(
    created,
    migrated,
    opts('kubectl-client-side-apply', '2026-11-27T09:05:00Z'),
  );
  assert.deepEqual(
    out.metadata.managedFields?.map((e) => e.manager),
    ['kubectl'],
  );
  const cleared = structuredClone(created);
  cleared.metadata.managedFields = [{}];
  assert.equal(
    updateManagedFields(created, cleared, opts('x', '2026-11-27T09:05:00Z')).metadata.managedFields,
    undefined,
  );
});
