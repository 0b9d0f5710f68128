import type { UserInfo } from './user-info.js';

/**
 * What a request asks to do, as Kubernetes' `authorizer.Attributes`: who, which verb, and either
 * a resource (group, resource, subresource, namespace, name) or a non-resource path. Verbs of
 * resource requests are Kubernetes' (`get`, `list`, `watch`, `create`, `update`, `patch`,
 * `delete`, `deletecollection`, and the special `bind`, `escalate`, `impersonate`); those of
 * non-resource requests are the lower-case HTTP method.
 */
export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  /** True for `/api/…` and `/apis/…` paths naming a resource; false for everything else. */
  resourceRequest: boolean;
  /** The URL path (non-resource requests are matched on it). */
  path: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

/**
 * Attributes for `user` with every field empty but those given; a resource request unless
 * `resourceRequest: false` says otherwise.
 */
export function requestAttributes(
  user: UserInfo,
  fields: Partial<Omit<RequestAttributes, 'user'>>,
): RequestAttributes {
  return {
    user,
    verb: '',
    resourceRequest: true,
    path: '',
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
    ...fields,
  };
}

/** An authorizer's answer: Kubernetes' `Decision` plus the reason it gives. */
export interface Verdict {
  decision: 'allow' | 'deny' | 'no-opinion';
  /** Appended to a 403's message when not empty (`RBAC: clusterrole… not found`). */
  reason: string;
}

/**
 * Decides whether a request may proceed. Answers are synchronous: every authorizer Stratus runs
 * reads an in-memory index, and the API server asks on every request.
 */
export interface Authorizer {
  authorize(attributes: RequestAttributes): Verdict;
}

/** A rule as RBAC writes it (`rbac.authorization.k8s.io/v1` PolicyRule). */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** The rules a user holds in a namespace, for SelfSubjectRulesReview and escalation checks. */
export interface RuleSet {
  rules: PolicyRule[];
  /** True when some authorizer cannot list its rules (the answer may be missing some). */
  incomplete: boolean;
  /** Why rules could not be resolved (bindings to missing roles). */
  errors: string[];
}

/** An authorizer that can also list the rules it would allow (Kubernetes' `RuleResolver`). */
export interface RuleResolver {
  rulesFor(user: UserInfo, namespace: string): RuleSet;
}

/** The group whose members may do everything (kube-apiserver's privileged group). */
export const SYSTEM_MASTERS = 'system:masters';

/**
 * Allows every request of a `system:masters` member and has no opinion on the rest, as
 * kube-apiserver's privileged-groups authorizer in front of RBAC.
 */
export const mastersAuthorizer: Authorizer = {
  authorize: (a) =>
    a.user.groups.includes(SYSTEM_MASTERS)
      ? { decision: 'allow', reason: '' }
      : { decision: 'no-opinion', reason: '' },
};

/**
 * Asks each authorizer in turn; the first `allow` or `deny` wins, `no-opinion` passes on
 * (Kubernetes' union authorizer). Reasons of the ones that had no opinion are joined with ", ".
 * Rule listing concatenates what every RuleResolver in the chain holds. A Node authorizer goes
 * in front of RBAC here, as in kube-apiserver's `--authorization-mode=Node,RBAC`.
 */
export class AuthorizerChain implements Authorizer, RuleResolver {
  constructor(private readonly authorizers: readonly (Authorizer & Partial<RuleResolver>)[]) {}

  authorize(attributes: RequestAttributes): Verdict {
    const reasons: string[] = [];
    for (const a of this.authorizers) {
      const v = a.authorize(attributes);
      if (v.decision !== 'no-opinion') return v;
      if (v.reason !== '') reasons.push(v.reason);
    }
    return { decision: 'no-opinion', reason: reasons.join(', ') };
  }

  rulesFor(user: UserInfo, namespace: string): RuleSet {
    const out: RuleSet = { rules: [], incomplete: false, errors: [] };
    for (const a of this.authorizers) {
      if (a.rulesFor === undefined) continue;
      const r = a.rulesFor(user, namespace);
      out.rules.push(...r.rules);
      out.incomplete ||= r.incomplete;
      out.errors.push(...r.errors);
    }
    return out;
  }
}

/** True when the verdict lets the request through. */
export function allowed(verdict: Verdict): boolean {
  return verdict.decision === 'allow';
}
