import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeApplied } from './apply-merge.js';
import { FieldSet } from './fields-v1.js';
import { compareValues, fieldSetOf, removeFields } from './typed-value.js';
import { deploymentSchema, testSchemas } from './test-schemas.js';

const podSpec = { type: 'ref', ref: 'PodSpec' } as const;

test('fieldSetOf: leaves, keyed items, set values; atomic lists whole; schemaless objects as maps', () => {
  const set = fieldSetOf(
    {
      metadata: { finalizers: ['x'], annotations: {} },
      spec: {
        template: { spec: { containers: [{ name: 'w', args: ['a', 'b'], ports: [{ containerPort: 80 }] }] } },
      },
      extra: { free: { form: 1 } },
    },
    deploymentSchema,
    testSchemas,
  );
  assert.deepEqual(set.toFieldsV1(), {
    'f:extra': { '.': {}, 'f:free': { '.': {}, 'f:form': {} } },
    'f:metadata': { 'f:annotations': {}, 'f:finalizers': { 'v:"x"': {} } },
    'f:spec': {
      'f:template': {
        'f:spec': {
          'f:containers': {
            'k:{"name":"w"}': {
              '.': {},
              'f:args': {},
              'f:name': {},
              'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            },
          },
        },
      },
    },
  });
});

test('compareValues: modified leaves, added and removed items with their contents', () => {
  const before = {
    containers: [
      { name: 'a', image: '1' },
      { name: 'b', image: '1' },
    ],
    restartPolicy: 'Always',
  };
  const after = {
    containers: [
      { name: 'a', image: '2' },
      { name: 'c', image: '1' },
    ],
    restartPolicy: 'Always',
  };
  const diff = compareValues(before, after, podSpec, testSchemas);
  assert.deepEqual(diff.modified.paths(), [['f:containers', 'k:{"name":"a"}', 'f:image']]);
  assert.ok(diff.added.has(['f:containers', 'k:{"name":"c"}']));
  assert.ok(diff.added.has(['f:containers', 'k:{"name":"c"}', 'f:image']));
  assert.ok(diff.removed.has(['f:containers', 'k:{"name":"b"}', 'f:name']));
  assert.ok(!diff.modified.has(['f:restartPolicy']));
});

test('removeFields drops member subtrees and maps emptied by the removal', () => {
  const value = { metadata: { labels: { a: '1' }, name: 'n' }, spec: { replicas: 2 } };
  const out = removeFields(
    value,
    FieldSet.of([
      ['f:metadata', 'f:labels', 'f:a'],
      ['f:spec', 'f:replicas'],
    ]),
    deploymentSchema,
    testSchemas,
  );
  assert.deepEqual(out, { metadata: { name: 'n' } });
  assert.deepEqual(value.metadata.labels, { a: '1' }, 'input untouched');
});

test('mergeApplied: applied wins on leaves, keyed lists merge, live-only items stay near their neighbours', () => {
  const live = {
    containers: [{ name: 'a', image: '1', imagePullPolicy: 'Always' }, { name: 'x' }, { name: 'b' }],
  };
  const applied = {
    containers: [
      { name: 'b', image: '2' },
      { name: 'a', image: '3' },
    ],
  };
  assert.deepEqual(mergeApplied(live, applied, podSpec, testSchemas), {
    containers: [
      { name: 'x' },
      { name: 'b', image: '2' },
      { name: 'a', image: '3', imagePullPolicy: 'Always' },
    ],
  });
  const appended = mergeApplied(live, { containers: [{ name: 'new' }] }, podSpec, testSchemas) as {
    containers: Array<{ name: string }>;
  };
  assert.deepEqual(
    appended.containers.map((c) => c.name),
    ['a', 'x', 'b', 'new'],
  );
});
