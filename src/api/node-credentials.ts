import {
  BOOTSTRAPPERS_GROUP,
  issueNodeCredential,
  nodeIdentity,
  SYSTEM_MASTERS,
  type UserInfo,
} from '../identity/index.js';
import { isDns1123Subdomain } from '../resources/index.js';
import type { ApiDeps } from './api-context.js';
import { forbidden, invalid } from './errors.js';
import { parseObjectBody, readBody, sendJson } from './http-io.js';
import { rfc3339 } from './object-meta.js';
import type { ResourceRequest } from './resource-request.js';

/**
 * Whether `user` may get a credential for `node`: a bootstrap token for any node (as a kubeadm
 * bootstrap token may ask for any kubelet's certificate; whoever holds one may join nodes), a
 * node for itself only (renewal), an administrator for any. RBAC decided already that the user
 * may create NodeCredentialRequests at all.
 */
function mayRequest(user: UserInfo, node: string): string | undefined {
  const own = nodeIdentity(user);
  if (own !== undefined) {
    return own === node ? undefined : `node "${own}" can only request a credential for itself`;
  }
  if (user.groups.includes(BOOTSTRAPPERS_GROUP) || user.groups.includes(SYSTEM_MASTERS)) return undefined;
  return `user "${user.username}" is not a bootstrap token, a node or in ${SYSTEM_MASTERS}`;
}

/**
 * POST of an `iam.stratus.dev/v1` NodeCredentialRequest: issues the node credential of
 * `spec.nodeName` (see `issueNodeCredential`: a year long, earlier ones revoked) and answers 201
 * with the request and `status.token` and `status.expirationTimestamp`. Nothing else is stored.
 */
export async function handleNodeCredentialRequest(deps: ApiDeps, r: ResourceRequest): Promise<void> {
  const body = parseObjectBody(await readBody(r.req), r.req.headers['content-type'] ?? '');
  const spec = (body.spec ?? {}) as { nodeName?: unknown };
  const node = typeof spec.nodeName === 'string' ? spec.nodeName : '';
  const problems = node === '' ? ['Required value'] : isDns1123Subdomain(node);
  if (problems.length > 0) {
    throw invalid(r.type.kind, '', r.type.group, [
      {
        reason: node === '' ? 'FieldValueRequired' : 'FieldValueInvalid',
        field: 'spec.nodeName',
        message:
          node === '' ? 'Required value' : `Invalid value: ${JSON.stringify(node)}: ${problems.join('; ')}`,
      },
    ]);
  }
  const refusal = mayRequest(r.user, node);
  if (refusal !== undefined)
    throw forbidden(`nodecredentialrequests.iam.stratus.dev is forbidden: ${refusal}`, {
      group: r.type.group,
      kind: r.type.plural,
    });
  const issuer = nodeIdentity(r.user) === undefined ? `by ${r.user.username}` : 'renewed by the node';
  const credential = await issueNodeCredential(deps.store, node, {
    clock: deps.clock,
    description: `node ${node}, issued ${issuer}`,
  });
  sendJson(r.res, 201, {
    apiVersion: 'iam.stratus.dev/v1',
    kind: 'NodeCredentialRequest',
    metadata: { ...((body.metadata ?? {}) as Record<string, unknown>), creationTimestamp: rfc3339(r.now) },
    spec: { nodeName: node },
    status: { token: credential.token, expirationTimestamp: rfc3339(credential.expiresAt) },
  });
}
