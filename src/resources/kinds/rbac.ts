import type { KubeObject } from '../../common/kube-object.js';
import type { KindDefinition } from '../define-kind.js';
import type { ColumnDefinition, FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { formatValue, invalid, notSupported, required } from '../field-error.js';
import { isDns1123Subdomain } from '../names.js';
import { ageColumn, column, createdAtColumn, nameColumn } from '../table.js';

/** The RBAC API group. */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

interface Rule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
  apiGroup?: string;
}

/** Go's `%#v` of a string slice, as Kubernetes prints invalid list values: `[]string{"/a"}`. */
function goSlice(values: readonly string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

/** Kubernetes' `ValidatePolicyRule`: verbs always; then either non-resource URLs or groups and resources. */
function validateRules(rules: unknown, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  ((Array.isArray(rules) ? rules : []) as Rule[]).forEach((r, i) => {
    const at = `rules[${i}]`;
    if ((r.verbs ?? []).length === 0)
      errs.push(required(`${at}.verbs`, 'verbs must contain at least one value'));
    const urls = r.nonResourceURLs ?? [];
    if (urls.length > 0) {
      const bad = (why: string): FieldError => ({
        reason: 'FieldValueInvalid',
        field: `${at}.nonResourceURLs`,
        message: `Invalid value: ${goSlice(urls)}: ${why}`,
      });
      if (namespaced) errs.push(bad('namespaced rules cannot apply to non-resource URLs'));
      if ((r.apiGroups ?? []).length + (r.resources ?? []).length + (r.resourceNames ?? []).length > 0) {
        errs.push(bad('rules cannot apply to both regular resources and non-resource URLs'));
      }
      return;
    }
    if ((r.apiGroups ?? []).length === 0)
      errs.push(required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
    if ((r.resources ?? []).length === 0)
      errs.push(required(`${at}.resources`, 'resource rules must supply at least one resource'));
  });
  return errs;
}

/** A binding's subject apiGroup and roleRef apiGroup default as Kubernetes' v1 defaulters set them. */
function defaultBinding(object: KubeObject): void {
  const ref = object.roleRef as { apiGroup?: string } | undefined;
  if (ref !== undefined && !ref.apiGroup) ref.apiGroup = RBAC_GROUP;
  for (const s of (Array.isArray(object.subjects) ? object.subjects : []) as Subject[]) {
    if ((s.kind === 'User' || s.kind === 'Group') && !s.apiGroup) s.apiGroup = RBAC_GROUP;
  }
}

/** Kubernetes' `ValidateRoleBinding`/`ValidateClusterRoleBinding` and the immutable roleRef. */
function validateBinding(object: KubeObject, old: KubeObject | undefined, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = (object.roleRef ?? {}) as { apiGroup?: string; kind?: string; name?: string };
  if (ref.apiGroup !== RBAC_GROUP)
    errs.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind ?? '')) errs.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errs.push(required('roleRef.name'));
  else if (/[/%]/.test(ref.name) || ref.name === '.' || ref.name === '..')
    errs.push(invalid('roleRef.name', ref.name, "may not contain '/' or '%' or be '.' or '..'"));
  ((Array.isArray(object.subjects) ? object.subjects : []) as Subject[]).forEach((s, i) => {
    const at = `subjects[${i}]`;
    if (!s.name) errs.push(required(`${at}.name`));
    if (s.kind === 'ServiceAccount') {
      if (s.name) for (const m of isDns1123Subdomain(s.name)) errs.push(invalid(`${at}.name`, s.name, m));
      if (s.apiGroup) errs.push(notSupported(`${at}.apiGroup`, s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errs.push(required(`${at}.namespace`));
    } else if (s.kind === 'User' || s.kind === 'Group') {
      if (s.apiGroup !== RBAC_GROUP)
        errs.push(notSupported(`${at}.apiGroup`, s.apiGroup ?? '', [RBAC_GROUP]));
    } else {
      errs.push(notSupported(`${at}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  if (old !== undefined && JSON.stringify(old.roleRef) !== JSON.stringify(object.roleRef)) {
    errs.push({
      reason: 'FieldValueInvalid',
      field: 'roleRef',
      message: `Invalid value: ${formatValue(object.roleRef)}: cannot change roleRef`,
    });
  }
  return errs;
}

const roleColumns = [nameColumn, createdAtColumn];
const roleCells = (object: KubeObject): unknown[] => [
  object.metadata.name ?? '',
  object.metadata.creationTimestamp ?? '',
];

const bindingColumns = (what: string): ColumnDefinition[] => [
  nameColumn,
  column(
    'Role',
    'string',
    'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.',
  ),
  ageColumn,
  column('Users', 'string', `Users in the ${what}`, { priority: 1 }),
  column('Groups', 'string', `Groups in the ${what}`, { priority: 1 }),
  column('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, { priority: 1 }),
];

/** Name, `Kind/name` of the role, age, then users, groups and `namespace/name` of ServiceAccounts. */
function bindingCells(object: KubeObject, now: number): unknown[] {
  const ref = (object.roleRef ?? {}) as { kind?: string; name?: string };
  const subjects = (Array.isArray(object.subjects) ? object.subjects : []) as Subject[];
  const of = (kind: string): string =>
    subjects
      .filter((s) => s.kind === kind)
      .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name ?? ''}` : (s.name ?? '')))
      .join(', ');
  return [
    object.metadata.name ?? '',
    `${ref.kind ?? ''}/${ref.name ?? ''}`,
    age(object.metadata.creationTimestamp, now),
    of('User'),
    of('Group'),
    of('ServiceAccount'),
  ];
}

const rbacKind = {
  group: RBAC_GROUP,
  version: 'v1',
  // RBAC names may hold ':' (`system:node`): Kubernetes checks them as path segments only.
  nameRule: 'none' as const,
};

/** rbac.authorization.k8s.io/v1 Role: rules within one namespace. */
export const roleKind: KindDefinition = {
  ...rbacKind,
  kind: 'Role',
  plural: 'roles',
  namespaced: true,
  schemaRef: 'io.k8s.api.rbac.v1.Role',
  validate: (object) => validateRules(object.rules, true),
  columns: roleColumns,
  cells: roleCells,
};

/**
 * rbac.authorization.k8s.io/v1 ClusterRole: rules cluster-wide or, bound by a RoleBinding, in
 * one namespace. With an `aggregationRule` its rules are those of the ClusterRoles its
 * selectors match, filled in by the clusterrole-aggregation controller.
 */
export const clusterRoleKind: KindDefinition = {
  ...rbacKind,
  kind: 'ClusterRole',
  plural: 'clusterroles',
  namespaced: false,
  schemaRef: 'io.k8s.api.rbac.v1.ClusterRole',
  validate(object) {
    const errs = validateRules(object.rules, false);
    const agg = object.aggregationRule as { clusterRoleSelectors?: unknown[] } | undefined;
    if (agg !== undefined && (agg.clusterRoleSelectors ?? []).length === 0) {
      errs.push(
        required(
          'aggregationRule.clusterRoleSelectors',
          'at least one clusterRoleSelector required if aggregationRule is non-nil',
        ),
      );
    }
    return errs;
  },
  columns: roleColumns,
  cells: roleCells,
};

/** rbac.authorization.k8s.io/v1 RoleBinding: grants a Role or ClusterRole in one namespace. */
export const roleBindingKind: KindDefinition = {
  ...rbacKind,
  kind: 'RoleBinding',
  plural: 'rolebindings',
  namespaced: true,
  schemaRef: 'io.k8s.api.rbac.v1.RoleBinding',
  defaults: defaultBinding,
  validate: (object, old) => validateBinding(object, old, true),
  columns: bindingColumns('roleBinding'),
  cells: bindingCells,
};

/** rbac.authorization.k8s.io/v1 ClusterRoleBinding: grants a ClusterRole everywhere. */
export const clusterRoleBindingKind: KindDefinition = {
  ...rbacKind,
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  namespaced: false,
  schemaRef: 'io.k8s.api.rbac.v1.ClusterRoleBinding',
  defaults: defaultBinding,
  validate: (object, old) => validateBinding(object, old, false),
  columns: bindingColumns('clusterRoleBinding'),
  cells: bindingCells,
};
