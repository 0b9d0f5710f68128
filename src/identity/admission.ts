import type { KubeObject } from '../common/kube-object.js';
import {
  allowed,
  requestAttributes,
  SYSTEM_MASTERS,
  type Authorizer,
  type PolicyRule,
} from './authorizer.js';
import { IdentityError } from './errors.js';
import type { RbacPolicy, RoleRef } from './rbac-policy.js';
import { compactRules, compactString, goQuotedList, uncoveredRules } from './rbac-rules.js';
import { TOKEN_SECRET_TYPE } from './token-secret.js';
import type { UserInfo } from './user-info.js';

/** A write the API server is about to store, after decoding, defaulting and validation. */
export interface WriteAttributes {
  operation: 'create' | 'update';
  /** The requester; undefined for the server's own writes. */
  user: UserInfo | undefined;
  apiGroup: string;
  /** The resource plural (`clusterroles`). */
  resource: string;
  /** The subresource written (`status`), '' for the object itself. */
  subresource: string;
  /** The namespace of the request ('' for cluster-scoped kinds). */
  namespace: string;
  /** The name in the request's URL ('' on create, which posts to the collection). */
  requestName: string;
  object: KubeObject;
  old?: KubeObject;
  /** A dry run: admission checks but keeps nothing (no quota is charged). */
  dryRun?: boolean;
}

/**
 * Told once a write that admission let through is stored (`true`) or failed after admission
 * (`false`), so that what admission reserved (a quota charge) can be settled.
 */
export type AdmissionFinish = (stored: boolean) => void;

/**
 * Checks a write before it is stored, as kube-apiserver's admission plugins: `mutate` (optional)
 * runs before validation and may change `object` (LimitRanger's defaults); `admit` runs after
 * validation and throws a 403 (or 404) error to refuse the write, or returns a finish callback
 * for what it reserved (quota).
 */
export interface Admission {
  mutate?(write: WriteAttributes): void | Promise<void>;
  admit(write: WriteAttributes): void | AdmissionFinish | Promise<void | AdmissionFinish>;
}

/**
 * Runs admissions in order (kube-apiserver's admission chain): every `mutate`, then every
 * `admit`, the first refusal winning; when a later one refuses, the finish callbacks of the
 * earlier ones are told the write failed.
 */
export class AdmissionChain implements Admission {
  constructor(private readonly admissions: readonly Admission[]) {}

  async mutate(write: WriteAttributes): Promise<void> {
    for (const a of this.admissions) await a.mutate?.(write);
  }

  async admit(write: WriteAttributes): Promise<AdmissionFinish | undefined> {
    const finishes: AdmissionFinish[] = [];
    try {
      for (const a of this.admissions) {
        const finish = await a.admit(write);
        if (finish) finishes.push(finish);
      }
    } catch (err) {
      for (const f of finishes) f(false);
      throw err;
    }
    if (finishes.length === 0) return undefined;
    return (stored) => {
      for (const f of finishes) f(stored);
    };
  }
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

/**
 * Kubernetes' RBAC escalation prevention plus Stratus' token guard:
 * - a Role or ClusterRole may only hold rules its writer holds, unless the writer may
 *   `escalate` it; an `aggregationRule` needs every right (cluster-admin);
 * - a RoleBinding or ClusterRoleBinding may only name a role whose rules its writer holds,
 *   unless the writer may `bind` that role;
 * - Secrets of type `stratus.dev/token` (bearer tokens, stored hashed) are written by
 *   `system:masters` only: anyone else could otherwise mint a token for any user.
 * `system:masters` skips the RBAC checks, as kube-apiserver's loopback identity does.
 */
export class RbacAdmission implements Admission {
  constructor(
    private readonly authorizer: Authorizer,
    private readonly policy: Pick<RbacPolicy, 'rulesFor' | 'roleRules'>,
  ) {}

  admit(w: WriteAttributes): void {
    const user = w.user;
    if (user === undefined || user.groups.includes(SYSTEM_MASTERS)) return;
    if (w.apiGroup === '' && w.resource === 'secrets') return guardTokenSecret(w);
    if (w.apiGroup !== RBAC_GROUP || onlyGcFieldsChanged(w)) return;
    if (w.resource === 'roles' || w.resource === 'clusterroles') this.admitRole(w, user);
    else if (w.resource === 'rolebindings' || w.resource === 'clusterrolebindings')
      this.admitBinding(w, user);
  }

  private may(
    user: UserInfo,
    verb: string,
    resource: string,
    namespace: string,
    name: string,
    group: string,
  ): boolean {
    return allowed(
      this.authorizer.authorize(
        requestAttributes(user, { verb, apiGroup: group, apiVersion: '*', resource, namespace, name }),
      ),
    );
  }

  private admitRole(w: WriteAttributes, user: UserInfo): void {
    if (!this.may(user, 'escalate', w.resource, w.namespace, w.requestName, RBAC_GROUP)) {
      this.confirmNoEscalation(w, user, (w.object.rules ?? []) as PolicyRule[]);
    }
    const aggregation = w.object.aggregationRule;
    const changed = JSON.stringify(aggregation) !== JSON.stringify(w.old?.aggregationRule);
    if (w.resource === 'clusterroles' && aggregation !== undefined && changed) {
      const held = this.policy.rulesFor(user, '').rules;
      if (uncoveredRules(held, FULL_AUTHORITY).length > 0) {
        throw forbiddenWrite(w, 'must have cluster-admin privileges to use the aggregationRule');
      }
    }
  }

  private admitBinding(w: WriteAttributes, user: UserInfo): void {
    const ref = (w.object.roleRef ?? {}) as RoleRef;
    const roleResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    if (this.may(user, 'bind', roleResource, w.namespace, ref.name, ref.apiGroup ?? '')) return;
    const rules = this.policy.roleRules(ref, w.namespace);
    if (typeof rules === 'string') {
      throw new IdentityError(
        'IDENTITY_ROLE_NOT_FOUND',
        404,
        `${roleResource}.${RBAC_GROUP} "${ref.name}" not found`,
      );
    }
    this.confirmNoEscalation(w, user, rules);
  }

  private confirmNoEscalation(w: WriteAttributes, user: UserInfo, rules: PolicyRule[]): void {
    const held = this.policy.rulesFor(user, w.namespace);
    const missing = uncoveredRules(held.rules, rules);
    if (missing.length === 0) return;
    const lines = [...new Set(compactRules(missing).map(compactString))].sort();
    let msg =
      `user ${JSON.stringify(user.username)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC ` +
      `permissions not currently held:\n${lines.join('\n')}`;
    if (held.errors.length > 0) msg += `; resolution errors: [${held.errors.join(' ')}]`;
    throw forbiddenWrite(w, msg);
  }
}

function guardTokenSecret(w: WriteAttributes): void {
  if (w.object.type !== TOKEN_SECRET_TYPE && w.old?.type !== TOKEN_SECRET_TYPE) return;
  throw forbiddenWrite(
    w,
    `only members of system:masters may create or change Secrets of type ${TOKEN_SECRET_TYPE}`,
  );
}

/** `clusterroles.rbac.authorization.k8s.io "x" is forbidden: …` (Kubernetes' NewForbidden). */
export function forbiddenWrite(
  w: Pick<WriteAttributes, 'apiGroup' | 'resource' | 'object'>,
  why: string,
): IdentityError {
  const resource = w.apiGroup === '' ? w.resource : `${w.resource}.${w.apiGroup}`;
  const name = w.object.metadata.name ?? '';
  return new IdentityError('IDENTITY_FORBIDDEN', 403, `${resource} "${name}" is forbidden: ${why}`);
}

/** True when an update changes only ownerReferences and finalizers (what the garbage collector writes). */
function onlyGcFieldsChanged(w: WriteAttributes): boolean {
  const old = w.old;
  if (w.operation !== 'update' || old === undefined) return false;
  const keep = ['ownerReferences', 'finalizers', 'managedFields', 'resourceVersion', 'generation'];
  const meta: Record<string, unknown> = { ...w.object.metadata };
  for (const k of keep) {
    if (old.metadata[k] === undefined) delete meta[k];
    else meta[k] = old.metadata[k];
  }
  return JSON.stringify({ ...w.object, metadata: meta }) === JSON.stringify(old);
}
