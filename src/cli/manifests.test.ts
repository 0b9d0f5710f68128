import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifests } from './manifests.js';
import { hasCode } from '../common/stratus-error.js';

test('multi-document YAML yields each object, skipping empty documents', () => {
  const text = `---
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
# only a comment
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: b
`;
  const out = parseManifests(text, 'x.yaml');
  assert.deepEqual(
    out.map((m) => [m.object.kind, m.object.metadata.name, m.source]),
    [
      ['ConfigMap', 'a', 'x.yaml'],
      ['Deployment', 'b', 'x.yaml'],
    ],
  );
});

test('JSON and List kinds are expanded into their items', () => {
  const list = JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
      {
        apiVersion: 'v1',
        kind: 'ConfigMapList',
        items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } }],
      },
    ],
  });
  assert.deepEqual(
    parseManifests(list, 'l.json').map((m) => m.object.metadata.name),
    ['a', 'b'],
  );
});

test('broken YAML and objects without apiVersion, kind or name are refused, naming the file', () => {
  const bad: Array<[string, RegExp]> = [
    ['a: [1,\n', /error parsing f\.yaml \(document 1\)/],
    ['- 1\n- 2\n', /not a Kubernetes object/],
    ['kind: ConfigMap\nmetadata: {name: a}\n', /apiVersion not set/],
    ['apiVersion: v1\nmetadata: {name: a}\n', /kind not set/],
    ['apiVersion: v1\nkind: ConfigMap\n', /ConfigMap has no metadata/],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {}}\n', /no metadata\.name/],
  ];
  for (const [text, message] of bad) {
    assert.throws(
      () => parseManifests(text, 'f.yaml'),
      (err: Error) => hasCode(err, 'CLI_MANIFEST_INVALID') && message.test(err.message),
      text,
    );
  }
});
