import type { KubeObject } from '../common/kube-object.js';
import type { PolicyRule, RequestAttributes, RuleSet, Verdict } from './authorizer.js';
import { ruleAllows } from './rbac-rules.js';
import type { UserInfo } from './user-info.js';

/** The four RBAC kinds, by their store resource. */
export const RBAC_RESOURCES = {
  roles: 'roles.rbac.authorization.k8s.io',
  clusterRoles: 'clusterroles.rbac.authorization.k8s.io',
  roleBindings: 'rolebindings.rbac.authorization.k8s.io',
  clusterRoleBindings: 'clusterrolebindings.rbac.authorization.k8s.io',
} as const;

/** An RBAC subject (`rbac.authorization.k8s.io/v1` Subject). */
export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

/** A binding's reference to its role. */
export interface RoleRef {
  kind: string;
  name: string;
  apiGroup?: string;
}

interface Binding {
  /** `RoleBinding "name/ns"` or `ClusterRoleBinding "name"`, for reasons. */
  namespace: string;
  name: string;
  roleRef: RoleRef;
  /** The index keys of its subjects, in the binding's order. */
  keys: string[];
  subjects: Subject[];
}

/**
 * The index key of a subject: users (and ServiceAccounts, by their username) and groups. A
 * ServiceAccount without a namespace in a RoleBinding means the binding's namespace; in a
 * ClusterRoleBinding it matches no one, as in Kubernetes.
 */
function subjectKey(s: Subject, bindingNamespace: string): string | undefined {
  if (s.kind === 'User') return `u:${s.name}`;
  if (s.kind === 'Group') return `g:${s.name}`;
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace !== undefined && s.namespace !== '' ? s.namespace : bindingNamespace;
    return ns === '' ? undefined : `u:system:serviceaccount:${ns}:${s.name}`;
  }
  return undefined;
}

/** Allows remembered at most (the cache is emptied when full). */
const ALLOW_CACHE_LIMIT = 10_000;

/** What an allow by a rule without `resourceNames` depends on: everything but the object's name. */
function allowKey(a: RequestAttributes): string {
  const who = `${a.user.username}\u0000${a.user.groups.join('\u0001')}`;
  return a.resourceRequest
    ? `${who}\u0000${a.verb}\u0000${a.apiGroup}\u0000${a.resource}\u0000${a.subresource}\u0000${a.namespace}`
    : `${who}\u0000${a.verb}\u0000\u0000${a.path}`;
}

function userKeys(user: UserInfo): string[] {
  return [`u:${user.username}`, ...user.groups.map((g) => `g:${g}`)];
}

/** Visits each rule that applies; returns false to stop. Errors are bindings whose role is missing. */
type Visitor = (source: () => string, rule: PolicyRule) => boolean;

/**
 * Roles and bindings held in memory and indexed by subject, so that authorizing a request looks
 * only at the bindings of the user and its groups (in the request's namespace and cluster-wide),
 * however many bindings exist. Fed by `apply` with the objects a store watch delivers; roles are
 * looked up when a binding is evaluated, so a changed role counts at once. Pure: no I/O.
 */
export class RbacPolicy {
  private readonly roles = new Map<string, PolicyRule[]>();
  private readonly clusterRoles = new Map<string, PolicyRule[]>();
  private readonly bindings = new Map<string, Binding>();
  /** `namespace\0subjectKey` → binding ids (namespace '' for ClusterRoleBindings). */
  private readonly bySubject = new Map<string, Set<string>>();
  /**
   * Allows already decided, by `allowKey` (no object name): an allow by a rule without
   * `resourceNames` holds for every name. Emptied by every change to roles or bindings, and when
   * it reaches ALLOW_CACHE_LIMIT entries.
   */
  private readonly allows = new Map<string, Verdict>();

  /** Applies one object of an RBAC resource; `deleted` removes it. */
  apply(resource: string, object: KubeObject, deleted: boolean): void {
    this.allows.clear();
    const ns = object.metadata.namespace ?? '';
    const name = object.metadata.name ?? '';
    switch (resource) {
      case RBAC_RESOURCES.roles:
        setOrDelete(this.roles, `${ns}/${name}`, deleted ? undefined : rulesOf(object));
        return;
      case RBAC_RESOURCES.clusterRoles:
        setOrDelete(this.clusterRoles, name, deleted ? undefined : rulesOf(object));
        return;
      case RBAC_RESOURCES.roleBindings:
      case RBAC_RESOURCES.clusterRoleBindings:
        this.applyBinding(ns, name, deleted ? undefined : object);
    }
  }

  private applyBinding(namespace: string, name: string, object: KubeObject | undefined): void {
    const id = `${namespace}/${name}`;
    const old = this.bindings.get(id);
    for (const key of old?.keys ?? []) this.bySubject.get(`${namespace}\u0000${key}`)?.delete(id);
    if (object === undefined) {
      this.bindings.delete(id);
      return;
    }
    const subjects = (Array.isArray(object.subjects) ? object.subjects : []) as Subject[];
    const roleRef = (object.roleRef ?? { kind: '', name: '' }) as RoleRef;
    const keys = subjects.map((s) => subjectKey(s, namespace) ?? '');
    this.bindings.set(id, { namespace, name, roleRef, keys, subjects });
    for (const key of keys) {
      if (key === '') continue;
      const k = `${namespace}\u0000${key}`;
      let set = this.bySubject.get(k);
      if (set === undefined) this.bySubject.set(k, (set = new Set()));
      set.add(id);
    }
  }

  /**
   * The rules of a role reference, or an error in Kubernetes' words
   * (`clusterrole.rbac.authorization.k8s.io "x" not found`).
   */
  roleRules(ref: RoleRef, bindingNamespace: string): PolicyRule[] | string {
    if (ref.kind === 'ClusterRole') {
      return (
        this.clusterRoles.get(ref.name) ?? `clusterrole.rbac.authorization.k8s.io "${ref.name}" not found`
      );
    }
    if (ref.kind === 'Role') {
      return (
        this.roles.get(`${bindingNamespace}/${ref.name}`) ??
        `role.rbac.authorization.k8s.io "${ref.name}" not found`
      );
    }
    return `unsupported role reference kind: "${ref.kind}"`;
  }

  /** Visits the rules bound to a user cluster-wide, then in `namespace`; returns resolution errors. */
  private visit(user: UserInfo, namespace: string, visitor: Visitor): string[] {
    const errors: string[] = [];
    const scopes = namespace === '' ? [''] : ['', namespace];
    const keys = userKeys(user);
    const seen = new Set<string>();
    for (const scope of scopes) {
      for (const key of keys) {
        for (const id of this.bySubject.get(`${scope}\u0000${key}`) ?? []) {
          if (seen.has(id)) continue;
          seen.add(id);
          const b = this.bindings.get(id);
          if (b === undefined) continue;
          const rules = this.roleRules(b.roleRef, b.namespace);
          if (typeof rules === 'string') {
            errors.push(rules);
            continue;
          }
          // Described only when asked (an allow): most bindings a request meets grant nothing.
          const source = (): string => describe(b, key);
          for (const rule of rules) if (!visitor(source, rule)) return errors;
        }
      }
    }
    return errors;
  }

  /** RBAC's decision: allow when a bound rule grants the request, else no opinion. */
  authorize(a: RequestAttributes): Verdict {
    const key = allowKey(a);
    const known = this.allows.get(key);
    if (known !== undefined) return known;
    let reason = '';
    let anyName = false;
    const errors = this.visit(a.user, a.namespace, (source, rule) => {
      if (!ruleAllows(a, rule)) return true;
      reason = `RBAC: allowed by ${source()}`;
      anyName = (rule.resourceNames ?? []).length === 0;
      return false;
    });
    if (reason === '')
      return { decision: 'no-opinion', reason: errors.length === 0 ? '' : `RBAC: ${aggregate(errors)}` };
    const verdict: Verdict = { decision: 'allow', reason };
    if (anyName) {
      if (this.allows.size >= ALLOW_CACHE_LIMIT) this.allows.clear();
      this.allows.set(key, verdict);
    }
    return verdict;
  }

  /** Every rule bound to the user cluster-wide and in `namespace`. */
  rulesFor(user: UserInfo, namespace: string): RuleSet {
    const rules: PolicyRule[] = [];
    const errors = this.visit(user, namespace, (_source, rule) => {
      rules.push(rule);
      return true;
    });
    return { rules, incomplete: false, errors };
  }

  /** ClusterRoles by name (for the aggregation controller and tests). */
  clusterRoleNames(): string[] {
    return [...this.clusterRoles.keys()];
  }
}

function describe(b: Binding, key: string): string {
  const i = b.keys.indexOf(key);
  const s = b.subjects[i];
  let who = s === undefined ? key : `${s.kind} "${s.name}"`;
  if (s?.kind === 'ServiceAccount') who = `${s.kind} "${s.name}/${s.namespace || b.namespace}"`;
  const ref = `${b.roleRef.kind} "${b.roleRef.name}"`;
  return b.namespace === ''
    ? `ClusterRoleBinding "${b.name}" of ${ref} to ${who}`
    : `RoleBinding "${b.name}/${b.namespace}" of ${ref} to ${who}`;
}

/** Kubernetes' error aggregate: one message alone, several in brackets. */
function aggregate(errors: readonly string[]): string {
  return errors.length === 1 ? (errors[0] ?? '') : `[${errors.join(', ')}]`;
}

function rulesOf(object: KubeObject): PolicyRule[] {
  return (Array.isArray(object.rules) ? object.rules : []) as PolicyRule[];
}

function setOrDelete<V>(map: Map<string, V>, key: string, value: V | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}
