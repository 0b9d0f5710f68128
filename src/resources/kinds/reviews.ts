import type { KindDefinition } from '../define-kind.js';
import { column, nameColumn } from '../table.js';

/**
 * The review kinds of `authentication.k8s.io/v1` and `authorization.k8s.io/v1`: requests that
 * are answered, never stored (`kubectl auth whoami`, `kubectl auth can-i`, `can-i --list`).
 * They serve only `create`; the API server fills in `status` from the authenticator and the
 * authorizer chain.
 */
function review(group: string, kind: string, namespaced = false): KindDefinition {
  const short = group.split('.')[0] ?? group;
  return {
    group,
    version: 'v1',
    kind,
    plural: `${kind.toLowerCase()}s`,
    namespaced,
    schemaRef: `io.k8s.api.${short}.v1.${kind}`,
    nameRule: 'none',
    verbs: ['create'],
    columns: [nameColumn, column('Allowed', 'boolean', 'Whether the request is allowed.')],
    cells: (object) => [
      object.metadata.name ?? '',
      (object.status as { allowed?: boolean } | undefined)?.allowed ?? '',
    ],
  };
}

/** The review kinds in discovery order. */
export const reviewKinds: KindDefinition[] = [
  review('authentication.k8s.io', 'SelfSubjectReview'),
  review('authorization.k8s.io', 'SelfSubjectAccessReview'),
  review('authorization.k8s.io', 'LocalSubjectAccessReview', true),
  review('authorization.k8s.io', 'SubjectAccessReview'),
  review('authorization.k8s.io', 'SelfSubjectRulesReview'),
];
