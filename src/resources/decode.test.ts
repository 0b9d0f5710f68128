import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { KubeObject } from '../common/kube-object.js';
import { createRegistry } from './registry.js';
import { strictDecodingMessage } from './errors.js';
import * as m from './testdata/manifests.js';

const registry = createRegistry();
const load = (y: string): KubeObject => parse(y) as KubeObject;
const typeOf = (o: KubeObject) => {
  const t = registry.byKind(o.apiVersion ?? '', o.kind ?? '');
  assert.ok(t, `${o.apiVersion} ${o.kind} registered`);
  return t;
};

test('real manifests decode strictly without errors and unchanged', () => {
  for (const y of Object.values(m)) {
    const o = load(y);
    const r = typeOf(o).decode(o, 'Strict');
    assert.deepEqual(r.errors, [], `${o.kind}`);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.object, o);
  }
});

test('an unknown field is an UnknownField error under Strict', () => {
  const o = load(m.deploymentYaml) as KubeObject & {
    spec: { template: { spec: { containers: Array<Record<string, unknown>> } } };
  };
  o.spec.template.spec.containers[0]!['imagee'] = 'nginx';
  (o.spec as Record<string, unknown>)['foo'] = 1;
  const r = typeOf(o).decode(o, 'Strict');
  const byField = [...r.errors].sort((a, b) => (a.field < b.field ? -1 : 1));
  assert.deepEqual(byField, [
    { reason: 'UnknownField', field: 'spec.foo', message: 'unknown field "spec.foo"' },
    {
      reason: 'UnknownField',
      field: 'spec.template.spec.containers[0].imagee',
      message: 'unknown field "spec.template.spec.containers[0].imagee"',
    },
  ]);
  assert.equal(
    strictDecodingMessage(r.errors.filter((e) => e.field === 'spec.foo')),
    'strict decoding error: unknown field "spec.foo"',
  );
});

test('Warn drops unknown fields with warnings; Ignore drops them silently', () => {
  const o = load(m.serviceYaml);
  (o['spec'] as Record<string, unknown>)['foo'] = 'bar';
  o.metadata['bogus'] = true;
  const warn = typeOf(o).decode(o, 'Warn');
  assert.deepEqual(warn.errors, []);
  assert.deepEqual(warn.warnings.sort(), ['unknown field "metadata.bogus"', 'unknown field "spec.foo"']);
  assert.equal((warn.object['spec'] as Record<string, unknown>)['foo'], undefined);
  assert.equal(warn.object.metadata['bogus'], undefined);
  const ignore = typeOf(o).decode(o, 'Ignore');
  assert.deepEqual(ignore.errors, []);
  assert.deepEqual(ignore.warnings, []);
  assert.deepEqual(ignore.object, load(m.serviceYaml));
  assert.equal((o['spec'] as Record<string, unknown>)['foo'], 'bar', 'input untouched');
});

test('ill-typed fields are errors in every mode, in Kubernetes wording', () => {
  const o = load(m.deploymentYaml);
  (o['spec'] as Record<string, unknown>)['replicas'] = 'three';
  for (const mode of ['Strict', 'Warn', 'Ignore'] as const) {
    const r = typeOf(o).decode(o, mode);
    assert.deepEqual(r.errors, [
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      },
    ]);
  }
  const p = load(m.podYaml);
  const spec = p['spec'] as Record<string, unknown>;
  spec['containers'] = { name: 'x' };
  spec['nodeSelector'] = { disktype: 5 };
  spec['terminationGracePeriodSeconds'] = 1.5;
  const fields = typeOf(p)
    .decode(p, 'Strict')
    .errors.map((e) => `${e.field}: ${e.message}`)
    .sort();
  assert.deepEqual(fields, [
    'spec.containers: Invalid value: "object": spec.containers in body must be of type array: "object"',
    'spec.nodeSelector.disktype: Invalid value: "integer": spec.nodeSelector.disktype in body must be of type string: "integer"',
    'spec.terminationGracePeriodSeconds: Invalid value: "number": spec.terminationGracePeriodSeconds in body must be of type integer: "number"',
  ]);
});

test('int-or-string and quantity accept both forms', () => {
  const o = load(m.deploymentYaml);
  const r = typeOf(o).decode(
    {
      ...o,
      spec: {
        ...(o['spec'] as object),
        strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '10%' } },
      },
    },
    'Strict',
  );
  assert.deepEqual(r.errors, []);
  const bad = typeOf(o).decode(
    { ...o, spec: { ...(o['spec'] as object), strategy: { rollingUpdate: { maxSurge: true } } } },
    'Strict',
  );
  assert.equal(bad.errors[0]?.field, 'spec.strategy.rollingUpdate.maxSurge');
});

test('null is treated as absent and dropped', () => {
  const o = load(m.serviceYaml);
  (o['spec'] as Record<string, unknown>)['clusterIP'] = null;
  o.metadata.labels = null as unknown as Record<string, string>;
  o['status'] = null;
  const r = typeOf(o).decode(o, 'Strict');
  assert.deepEqual(r.errors, []);
  assert.equal('clusterIP' in (r.object['spec'] as object), false);
  assert.equal('labels' in r.object.metadata, false);
  assert.equal('status' in r.object, false);
});

test('metadata is checked as ObjectMeta; free-form fields accept anything', () => {
  const o = load(m.configMapYaml);
  o.metadata.managedFields = [{ manager: 'kubectl', fieldsV1: { 'f:data': { 'f:x': {} } } }];
  assert.deepEqual(typeOf(o).decode(o, 'Strict').errors, []);
  o.metadata['uidd'] = 'x';
  assert.deepEqual(
    typeOf(o)
      .decode(o, 'Strict')
      .errors.map((e) => e.field),
    ['metadata.uidd'],
  );
});

test('a __proto__ key stays data and does not change prototypes', () => {
  const o = JSON.parse(
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"p","namespace":"d","labels":{"__proto__":"x"}},"data":{"__proto__":"y"},"__proto__":{"polluted":true}}',
  ) as KubeObject;
  const strict = typeOf(o).decode(o, 'Strict');
  assert.deepEqual(
    strict.errors.map((e) => e.field),
    ['__proto__'],
  );
  const r = typeOf(o).decode(o, 'Ignore');
  assert.deepEqual(r.errors, []);
  assert.equal(Object.getPrototypeOf(r.object), Object.prototype);
  assert.equal((r.object as Record<string, unknown>)['polluted'], undefined);
  assert.deepEqual(Object.keys(r.object['data'] as object), ['__proto__']);
  assert.equal(Object.getOwnPropertyDescriptor(r.object['data'], '__proto__')?.value, 'y');
});
