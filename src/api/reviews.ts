import {
  requestAttributes,
  type Authorizer,
  type PolicyRule,
  type RequestAttributes,
  type RuleResolver,
  type UserInfo,
} from '../identity/index.js';
import { badRequest, invalid } from './errors.js';
import { parseObjectBody, readBody, sendJson } from './http-io.js';
import { rfc3339 } from './object-meta.js';
import type { ResourceRequest } from './resource-request.js';

/** What the review endpoints answer from: the authorizer chain, which also lists rules. */
export type ReviewAuthorizer = Authorizer & RuleResolver;

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

interface ReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  namespace?: string;
}

/** The attributes a SubjectAccessReview spec asks about, for `user`. */
function reviewAttributes(kind: string, spec: ReviewSpec, user: UserInfo): RequestAttributes {
  const r = spec.resourceAttributes;
  const n = spec.nonResourceAttributes;
  if (r !== undefined && n !== undefined) {
    throw invalid(kind, '', 'authorization.k8s.io', [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.nonResourceAttributes',
        message: 'Invalid value: cannot be specified in combination with resourceAttributes',
      },
    ]);
  }
  if (r === undefined && n === undefined) {
    throw invalid(kind, '', 'authorization.k8s.io', [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.resourceAttributes',
        message:
          'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      },
    ]);
  }
  if (n !== undefined)
    return requestAttributes(user, { verb: n.verb ?? '', resourceRequest: false, path: n.path ?? '' });
  return requestAttributes(user, {
    verb: r?.verb ?? '',
    apiGroup: r?.group ?? '',
    apiVersion: r?.version ?? '',
    resource: r?.resource ?? '',
    subresource: r?.subresource ?? '',
    namespace: r?.namespace ?? '',
    name: r?.name ?? '',
  });
}

function toUserInfo(info: UserInfo): Record<string, unknown> {
  return {
    username: info.username,
    ...(info.uid !== undefined ? { uid: info.uid } : {}),
    groups: info.groups,
    ...(info.extra !== undefined ? { extra: info.extra } : {}),
  };
}

/** SelfSubjectRulesReview's resource and non-resource rules, as Kubernetes splits them. */
function splitRules(rules: readonly PolicyRule[]): { resourceRules: unknown[]; nonResourceRules: unknown[] } {
  const resourceRules: unknown[] = [];
  const nonResourceRules: unknown[] = [];
  for (const r of rules) {
    if ((r.resources ?? []).length > 0) {
      resourceRules.push({
        verbs: r.verbs,
        apiGroups: r.apiGroups ?? [],
        resources: r.resources,
        ...((r.resourceNames ?? []).length > 0 ? { resourceNames: r.resourceNames } : {}),
      });
    }
    if ((r.nonResourceURLs ?? []).length > 0)
      nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
  }
  return { resourceRules, nonResourceRules };
}

/**
 * POST of a review kind (`kubectl auth whoami`, `kubectl auth can-i`): the request body's spec
 * is answered with a status computed from the requester (Self*) or the named subject
 * (SubjectAccessReview, LocalSubjectAccessReview), by the same authorizer chain that guards
 * every request, so `can-i` and `can-i --list` say what is enforced. Nothing is stored; the
 * reply is 201 with the object and its status.
 */
export async function handleReview(
  authorizer: ReviewAuthorizer,
  r: ResourceRequest,
  user: UserInfo,
): Promise<void> {
  const body = parseObjectBody(await readBody(r.req), r.req.headers['content-type'] ?? '');
  const kind = r.type.kind;
  const spec = (body.spec ?? {}) as ReviewSpec;
  const meta = { ...((body.metadata ?? {}) as Record<string, unknown>), creationTimestamp: rfc3339(r.now) };
  const reply = (status: Record<string, unknown>, keepSpec = true): void =>
    sendJson(r.res, 201, {
      kind,
      apiVersion: `${r.type.group}/${r.type.version}`,
      metadata: meta,
      ...(keepSpec ? { spec } : {}),
      status,
    });
  switch (kind) {
    case 'SelfSubjectReview':
      return reply({ userInfo: toUserInfo(user) }, false);
    case 'SelfSubjectRulesReview': {
      const set = authorizer.rulesFor(user, spec.namespace ?? '');
      return reply({
        ...splitRules(set.rules),
        incomplete: set.incomplete,
        ...(set.errors.length > 0 ? { evaluationError: set.errors.join(', ') } : {}),
      });
    }
    case 'SelfSubjectAccessReview':
      return reply(decide(authorizer, reviewAttributes(kind, spec, user)));
    default: {
      if ((spec.user ?? '') === '' && (spec.groups ?? []).length === 0) {
        throw invalid(kind, '', 'authorization.k8s.io', [
          {
            reason: 'FieldValueInvalid',
            field: 'spec.user',
            message: 'Invalid value: "": at least one of user or group must be specified',
          },
        ]);
      }
      const subject: UserInfo = {
        username: spec.user ?? '',
        groups: spec.groups ?? [],
        ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
        ...(spec.extra !== undefined ? { extra: spec.extra } : {}),
      };
      const attributes = reviewAttributes(kind, spec, subject);
      if (kind === 'LocalSubjectAccessReview') {
        if (attributes.namespace !== '' && attributes.namespace !== r.namespace) {
          throw badRequest(
            `spec.resourceAttributes.namespace must match the namespace of the request (${r.namespace})`,
          );
        }
        attributes.namespace = r.namespace;
      }
      return reply(decide(authorizer, attributes));
    }
  }
}

function decide(authorizer: Authorizer, attributes: RequestAttributes): Record<string, unknown> {
  const v = authorizer.authorize(attributes);
  return {
    allowed: v.decision === 'allow',
    ...(v.decision === 'deny' ? { denied: true } : {}),
    ...(v.reason !== '' ? { reason: v.reason } : {}),
  };
}
