import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, pathString } from './fields-v1.js';

const web = 'k:{"name":"web"}';

test('FieldsV1 round-trips, with "." marking members that have children', () => {
  const fields = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': { 'f:containers': { [web]: { '.': {}, 'f:image': {}, 'f:name': {} } }, 'f:replicas': {} },
  };
  const set = FieldSet.fromFieldsV1(fields);
  assert.ok(set.has(['f:metadata', 'f:labels']));
  assert.ok(set.has(['f:metadata', 'f:labels', 'f:app']));
  assert.ok(!set.has(['f:metadata']));
  assert.ok(!set.has(['f:spec']));
  assert.ok(set.has(['f:spec', 'f:containers', web]));
  assert.deepEqual(set.toFieldsV1(), fields);
  assert.deepEqual(
    JSON.stringify(set.toFieldsV1()),
    '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{},"f:name":{}}},"f:replicas":{}}}',
    'keys come out sorted, "." first',
  );
});

test('union, intersection and difference work per path', () => {
  const a = FieldSet.of([
    ['f:spec', 'f:replicas'],
    ['f:spec', 'f:paused'],
    ['f:metadata', 'f:labels', 'f:a'],
  ]);
  const b = FieldSet.of([
    ['f:spec', 'f:replicas'],
    ['f:metadata', 'f:labels', 'f:b'],
  ]);
  assert.deepEqual(a.intersection(b).paths(), [['f:spec', 'f:replicas']]);
  assert.deepEqual(a.difference(b).paths(), [
    ['f:metadata', 'f:labels', 'f:a'],
    ['f:spec', 'f:paused'],
  ]);
  assert.equal(a.union(b).paths().length, 4);
  assert.ok(a.difference(a).isEmpty());
  assert.ok(a.equals(FieldSet.fromFieldsV1(a.toFieldsV1())));
  assert.ok(!a.equals(b));
});

test('paths print in Kubernetes form', () => {
  assert.equal(pathString(['f:spec', 'f:replicas']), '.spec.replicas');
  assert.equal(
    pathString(['f:spec', 'f:template', 'f:spec', 'f:containers', web, 'f:image']),
    '.spec.template.spec.containers[name="web"].image',
  );
  assert.equal(
    pathString(['f:ports', 'k:{"protocol":"TCP","containerPort":80}']),
    '.ports[containerPort=80,protocol="TCP"]',
  );
  assert.equal(pathString(['f:metadata', 'f:finalizers', 'v:"x"']), '.metadata.finalizers[="x"]');
  assert.equal(pathString(['f:args', 'i:2']), '.args[2]');
});

test('malformed FieldsV1 is skipped, not trusted', () => {
  assert.ok(FieldSet.fromFieldsV1('nonsense').isEmpty());
  assert.deepEqual(FieldSet.fromFieldsV1({ 'f:a': 1, 'f:b': {} }).paths(), [['f:b']]);
});
