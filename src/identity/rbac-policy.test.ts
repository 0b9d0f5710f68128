import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../common/kube-object.js';
import type { RequestAttributes } from './authorizer.js';
import { AuthorizerChain, mastersAuthorizer, requestAttributes } from './authorizer.js';
import { RBAC_RESOURCES, RbacPolicy } from './rbac-policy.js';

function obj(
  kind: string,
  name: string,
  namespace: string | undefined,
  body: Record<string, unknown>,
): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    ...body,
  };
}

function attrs(
  user: { username: string; groups: string[] },
  verb: string,
  resource: string,
  namespace: string,
): RequestAttributes {
  return requestAttributes(user, { verb, apiVersion: 'v1', resource, namespace });
}

function policy(): RbacPolicy {
  const p = new RbacPolicy();
  p.apply(
    RBAC_RESOURCES.clusterRoles,
    obj('ClusterRole', 'reader', undefined, {
      rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
    }),
    false,
  );
  p.apply(
    RBAC_RESOURCES.roles,
    obj('Role', 'cm', 'a', { rules: [{ verbs: ['create'], apiGroups: [''], resources: ['configmaps'] }] }),
    false,
  );
  p.apply(
    RBAC_RESOURCES.roleBindings,
    obj('RoleBinding', 'rb', 'a', {
      roleRef: { kind: 'Role', name: 'cm' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'ServiceAccount', name: 'builder' },
      ],
    }),
    false,
  );
  p.apply(
    RBAC_RESOURCES.clusterRoleBindings,
    obj('ClusterRoleBinding', 'readers', undefined, {
      roleRef: { kind: 'ClusterRole', name: 'reader' },
      subjects: [{ kind: 'Group', name: 'team' }],
    }),
    false,
  );
  return p;
}

const alice = { username: 'alice', groups: ['system:authenticated'] };
const bob = { username: 'bob', groups: ['team', 'system:authenticated'] };

test('bindings grant their role to users, groups and ServiceAccounts in their scope only', () => {
  const p = policy();
  assert.equal(p.authorize(attrs(alice, 'create', 'configmaps', 'a')).decision, 'allow');
  assert.equal(p.authorize(attrs(alice, 'create', 'configmaps', 'b')).decision, 'no-opinion');
  assert.equal(p.authorize(attrs(bob, 'list', 'pods', 'b')).decision, 'allow');
  assert.equal(
    p.authorize(attrs(bob, 'list', 'pods', '')).decision,
    'allow',
    'a ClusterRoleBinding is cluster-wide',
  );
  const sa = { username: 'system:serviceaccount:a:builder', groups: [] };
  assert.equal(
    p.authorize(attrs(sa, 'create', 'configmaps', 'a')).decision,
    'allow',
    "a ServiceAccount without namespace is the binding's",
  );
  assert.match(
    p.authorize(attrs(alice, 'create', 'configmaps', 'a')).reason,
    /RoleBinding "rb\/a" of Role "cm" to User "alice"/,
  );
});

test('a changed or deleted binding counts at once; a binding to a missing role gives the reason', () => {
  const p = policy();
  p.apply(
    RBAC_RESOURCES.roleBindings,
    obj('RoleBinding', 'rb', 'a', { roleRef: { kind: 'Role', name: 'cm' }, subjects: [] }),
    false,
  );
  assert.equal(p.authorize(attrs(alice, 'create', 'configmaps', 'a')).decision, 'no-opinion');
  p.apply(
    RBAC_RESOURCES.roleBindings,
    obj('RoleBinding', 'gone', 'a', {
      roleRef: { kind: 'ClusterRole', name: 'nope' },
      subjects: [{ kind: 'User', name: 'alice' }],
    }),
    false,
  );
  assert.deepEqual(p.authorize(attrs(alice, 'get', 'pods', 'a')), {
    decision: 'no-opinion',
    reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "nope" not found',
  });
  p.apply(RBAC_RESOURCES.clusterRoleBindings, obj('ClusterRoleBinding', 'readers', undefined, {}), true);
  assert.equal(p.authorize(attrs(bob, 'list', 'pods', 'b')).decision, 'no-opinion');
});

test('rulesFor lists what authorize enforces; the chain lets system:masters through first', () => {
  const p = policy();
  assert.deepEqual(p.rulesFor(bob, 'a').rules, [
    { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] },
  ]);
  const chain = new AuthorizerChain([mastersAuthorizer, p]);
  const root = { username: 'root', groups: ['system:masters'] };
  assert.equal(chain.authorize(attrs(root, 'delete', 'nodes', '')).decision, 'allow');
  assert.equal(chain.authorize(attrs(alice, 'delete', 'nodes', '')).decision, 'no-opinion');
});

test('remembered allows hold for any name, are forgotten on every change, and never widen a resourceNames rule', () => {
  const p = new RbacPolicy();
  const bob = { username: 'bob', groups: ['system:authenticated'] };
  const get = (name: string) =>
    p.authorize(
      requestAttributes(bob, { verb: 'get', apiVersion: 'v1', resource: 'secrets', namespace: 'a', name }),
    ).decision;
  p.apply(
    RBAC_RESOURCES.roles,
    obj('Role', 'one', 'a', {
      rules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }],
    }),
    false,
  );
  const binding = obj('RoleBinding', 'bob', 'a', {
    roleRef: { kind: 'Role', name: 'one' },
    subjects: [{ kind: 'User', name: 'bob' }],
  });
  p.apply(RBAC_RESOURCES.roleBindings, binding, false);
  assert.equal(get('s1'), 'allow');
  assert.equal(get('s2'), 'no-opinion', 'an allow by a resourceNames rule is not remembered for other names');
  p.apply(
    RBAC_RESOURCES.roles,
    obj('Role', 'one', 'a', { rules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }] }),
    false,
  );
  assert.equal(get('s2'), 'allow');
  assert.equal(get('s3'), 'allow');
  p.apply(RBAC_RESOURCES.roleBindings, binding, true);
  assert.equal(get('s2'), 'no-opinion', 'a removed binding takes the remembered allow with it');
});
