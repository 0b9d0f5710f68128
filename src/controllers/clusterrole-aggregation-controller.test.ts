/* eslint-disable @typescript-eslint/no-unsafe-member-access -- tests read JSON replies by path */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../common/kube-object.js';
import { eventually, startTestCluster } from '../api/testing.js';
import { aggregatedRules } from './clusterrole-aggregation-controller.js';

const role = (
  name: string,
  labels: Record<string, string>,
  rules: unknown[],
  agg?: Record<string, string>,
): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name, labels },
  rules,
  ...(agg ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: agg }] } } : {}),
});

test('aggregatedRules gathers the selected roles in name order without repeats', () => {
  const ruleA = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
  const ruleB = { verbs: ['list'], apiGroups: [''], resources: ['pods'] };
  const target = role('agg', {}, [], { pick: 'yes' });
  const all = [
    target,
    role('z', { pick: 'yes' }, [ruleB, ruleA]),
    role('a', { pick: 'yes' }, [ruleA]),
    role('n', {}, [ruleB]),
  ];
  assert.deepEqual(aggregatedRules(target, all), [ruleA, ruleB]);
});

test('a ClusterRole labelled aggregate-to-view extends view, edit and admin', async () => {
  const c = await startTestCluster();
  try {
    const rule = { verbs: ['get', 'list'], apiGroups: ['example.com'], resources: ['widgets'] };
    const r = await c.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      body: role('widget-viewer', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, [rule]),
    });
    assert.equal(r.status, 201);
    for (const name of ['view', 'edit', 'admin']) {
      const has = await eventually(async () => {
        const got = await c.call('GET', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`);
        return JSON.stringify(got.body.rules).includes('widgets');
      });
      assert.ok(has, `${name} holds the widgets rule`);
    }
    await c.call('DELETE', '/apis/rbac.authorization.k8s.io/v1/clusterroles/widget-viewer');
    const gone = await eventually(async () => {
      const got = await c.call('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/admin');
      return !JSON.stringify(got.body.rules).includes('widgets');
    });
    assert.ok(gone, 'deleting the source role takes its rules out again');
  } finally {
    await c.close();
  }
});
