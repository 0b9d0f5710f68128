import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import {
  findUntoleratedTaint,
  matchNodeSelectorAndAffinity,
  matchNodeSelectorTerm,
  tolerates,
} from './node-match.js';

const node: Node = { metadata: { name: 'n1', labels: { zone: 'a', cores: '8' } } };
const required = (terms: object[]): PodSpec => ({
  containers: [],
  affinity: {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
  },
});

test('node selector terms: every expression of a term, fields on metadata.name, an empty term matches nothing', () => {
  const expr = (key: string, operator: string, values?: string[]): object => ({
    matchExpressions: [{ key, operator, ...(values ? { values } : {}) }],
  });
  assert.equal(matchNodeSelectorTerm(expr('zone', 'In', ['a', 'b']), node), true);
  assert.equal(matchNodeSelectorTerm(expr('zone', 'NotIn', ['a']), node), false);
  assert.equal(matchNodeSelectorTerm(expr('gpu', 'DoesNotExist'), node), true);
  assert.equal(matchNodeSelectorTerm(expr('cores', 'Gt', ['4']), node), true);
  assert.equal(matchNodeSelectorTerm(expr('cores', 'Lt', ['4']), node), false);
  assert.equal(
    matchNodeSelectorTerm({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }, node),
    true,
  );
  assert.equal(matchNodeSelectorTerm({}, node), false);
});

test('nodeSelector and required affinity: one matching term suffices, no terms match no node', () => {
  assert.equal(matchNodeSelectorAndAffinity(undefined, node), true);
  assert.equal(matchNodeSelectorAndAffinity({ containers: [], nodeSelector: { zone: 'a' } }, node), true);
  assert.equal(matchNodeSelectorAndAffinity({ containers: [], nodeSelector: { zone: 'b' } }, node), false);
  const zoneB = { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] };
  const zoneA = { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] };
  assert.equal(matchNodeSelectorAndAffinity(required([zoneB, zoneA]), node), true);
  assert.equal(matchNodeSelectorAndAffinity(required([zoneB]), node), false);
  assert.equal(matchNodeSelectorAndAffinity(required([]), node), false);
});

test('tolerations against taints, with the caller choosing which effects count', () => {
  const taint: Taint = { key: 'dedicated', value: 'db', effect: 'NoSchedule' };
  assert.equal(tolerates({ key: 'dedicated', operator: 'Equal', value: 'db' }, taint), true);
  assert.equal(tolerates({ key: 'dedicated', operator: 'Equal', value: 'web' }, taint), false);
  assert.equal(tolerates({ operator: 'Exists' }, taint), true);
  assert.equal(tolerates({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint), false);
  const soft: Taint = { key: 'spot', effect: 'PreferNoSchedule' };
  const hard = (t: Taint): boolean => t.effect !== 'PreferNoSchedule';
  assert.equal(findUntoleratedTaint([soft, taint], [], hard), taint);
  assert.equal(findUntoleratedTaint([soft], [], hard), undefined);
  assert.equal(
    findUntoleratedTaint([taint], [], (t) => t.effect === 'NoExecute'),
    undefined,
  );
  assert.equal(findUntoleratedTaint(undefined, [], hard), undefined);
});
