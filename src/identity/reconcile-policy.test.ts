import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../store/index.js';
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.js';
import { RBAC_RESOURCES } from './rbac-policy.js';
import { reconcileBootstrapPolicy } from './reconcile-policy.js';

async function withStore(fn: (store: SqliteStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-reconcile-'));
  const store = await SqliteStore.open(join(dir, 'state.db'), { compactIntervalMs: 0 });
  try {
    await fn(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('a fresh store gets every default role and binding; a second run changes nothing', () =>
  withStore(async (store) => {
    await reconcileBootstrapPolicy(store);
    const roles = (await store.list(RBAC_RESOURCES.clusterRoles)).items.map((o) => o.metadata.name);
    for (const r of BOOTSTRAP_CLUSTER_ROLES) assert.ok(roles.includes(r.metadata.name), r.metadata.name);
    const bindings = await store.list(RBAC_RESOURCES.clusterRoleBindings);
    assert.equal(bindings.items.length, BOOTSTRAP_CLUSTER_ROLE_BINDINGS.length);
    const before = await store.currentRevision();
    await reconcileBootstrapPolicy(store);
    assert.equal(await store.currentRevision(), before);
  }));

test('reconciling adds missing rules and subjects, keeps additions, and leaves autoupdate=false alone', () =>
  withStore(async (store) => {
    await reconcileBootstrapPolicy(store);
    const basic = (await store.get(RBAC_RESOURCES.clusterRoles, '', 'system:basic-user'))!;
    const extra = { verbs: ['get'], apiGroups: [''], resources: ['nodes'] };
    await store.update(RBAC_RESOURCES.clusterRoles, { ...basic, rules: [extra] });
    const disc = (await store.get(RBAC_RESOURCES.clusterRoleBindings, '', 'system:discovery'))!;
    await store.update(RBAC_RESOURCES.clusterRoleBindings, { ...disc, subjects: [] });
    const view = (await store.get(RBAC_RESOURCES.clusterRoles, '', 'system:aggregate-to-view'))!;
    await store.update(RBAC_RESOURCES.clusterRoles, {
      ...view,
      metadata: { ...view.metadata, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' } },
      rules: [],
    });
    await reconcileBootstrapPolicy(store);
    const rules = (await store.get(RBAC_RESOURCES.clusterRoles, '', 'system:basic-user'))!.rules as unknown[];
    assert.deepEqual(rules[0], extra, 'what an admin added stays');
    assert.ok(rules.length > 1, 'the default rules are back');
    const subjects = (await store.get(RBAC_RESOURCES.clusterRoleBindings, '', 'system:discovery'))!
      .subjects as unknown[];
    assert.deepEqual(subjects, [
      { kind: 'Group', name: 'system:authenticated', apiGroup: 'rbac.authorization.k8s.io' },
    ]);
    assert.deepEqual(
      (await store.get(RBAC_RESOURCES.clusterRoles, '', 'system:aggregate-to-view'))!.rules,
      [],
    );
  }));

test('what earlier versions bootstrapped for nodes is taken out; what an admin added stays', () =>
  withStore(async (store) => {
    await reconcileBootstrapPolicy(store);
    const rbac = 'rbac.authorization.k8s.io';
    const nodes = { kind: 'Group', name: 'system:nodes', apiGroup: rbac };
    const bob = { kind: 'User', name: 'bob', apiGroup: rbac };
    const binding = (await store.get(RBAC_RESOURCES.clusterRoleBindings, '', 'system:node'))!;
    await store.update(RBAC_RESOURCES.clusterRoleBindings, { ...binding, subjects: [nodes, bob] });
    const meta = { name: 'system:node:log-secrets', namespace: 'kube-node-lease' };
    await store.create(RBAC_RESOURCES.roles, {
      apiVersion: `${rbac}/v1`,
      kind: 'Role',
      metadata: meta,
      rules: [{ verbs: ['*'], apiGroups: [''], resources: ['secrets'] }],
    });
    await store.create(RBAC_RESOURCES.roleBindings, {
      apiVersion: `${rbac}/v1`,
      kind: 'RoleBinding',
      metadata: meta,
      roleRef: { apiGroup: rbac, kind: 'Role', name: meta.name },
      subjects: [nodes],
    });
    await reconcileBootstrapPolicy(store);
    const after = (await store.get(RBAC_RESOURCES.clusterRoleBindings, '', 'system:node'))!;
    assert.deepEqual(after.subjects, [bob]);
    assert.equal(await store.get(RBAC_RESOURCES.roles, meta.namespace, meta.name), undefined);
    assert.equal(await store.get(RBAC_RESOURCES.roleBindings, meta.namespace, meta.name), undefined);
  }));

test("the S3 gateway's wider rules of earlier versions are taken out; a rule an admin added stays", () =>
  withStore(async (store) => {
    await reconcileBootstrapPolicy(store);
    const role = (await store.get(RBAC_RESOURCES.clusterRoles, '', 'system:stratus:s3-gateway'))!;
    const narrowed = role.rules;
    const added = { verbs: ['get'], apiGroups: [''], resources: ['configmaps'] };
    const wide = [
      {
        verbs: ['get', 'list', 'watch', 'create'],
        apiGroups: ['iam.stratus.dev'],
        resources: ['accesskeys'],
      },
      { verbs: ['patch', 'update'], apiGroups: ['storage.stratus.dev'], resources: ['buckets/status'] },
    ];
    await store.update(RBAC_RESOURCES.clusterRoles, { ...role, rules: [...wide, added] });
    await reconcileBootstrapPolicy(store);
    const after = (await store.get(RBAC_RESOURCES.clusterRoles, '', 'system:stratus:s3-gateway'))!;
    assert.deepEqual(after.rules, [added, ...(narrowed as unknown[])]);
  }));
