import type { KubeObject } from '../common/kube-object.js';
import type { BoundObject, ServiceAccountTokens } from '../identity/index.js';
import type { ApiDeps } from './api-context.js';
import { ApiError, badRequest, invalid, notFound, type StatusCause } from './errors.js';
import { parseObjectBody, readBody, sendJson } from './http-io.js';
import { rfc3339 } from './object-meta.js';
import type { ResourceRequest } from './resource-request.js';

/** Kubernetes' defaults and bounds of a TokenRequest's lifetime. */
const DEFAULT_SECONDS = 3600;
const MIN_SECONDS = 600;
const MAX_SECONDS = 2 ** 32;

interface TokenRequestSpec {
  audiences?: unknown;
  expirationSeconds?: unknown;
  boundObjectRef?: { kind?: unknown; apiVersion?: unknown; name?: unknown; uid?: unknown } | null;
}

const BOUND_KINDS: Record<string, { resource: string; apiVersion: string; namespaced: boolean }> = {
  Pod: { resource: 'pods', apiVersion: 'v1', namespaced: true },
  Secret: { resource: 'secrets', apiVersion: 'v1', namespaced: true },
  Node: { resource: 'nodes', apiVersion: 'v1', namespaced: false },
};

function refuse(name: string, causes: StatusCause[]): ApiError {
  return invalid('TokenRequest', name, 'authentication.k8s.io', causes);
}

/** Reads and checks the spec as Kubernetes' TokenRequest validation does. */
function readSpec(name: string, spec: TokenRequestSpec): { audiences: string[]; seconds: number } {
  const seconds = spec.expirationSeconds ?? DEFAULT_SECONDS;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds))
    throw refuse(name, [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        message: `Invalid value: ${JSON.stringify(seconds)}: must be an integer`,
      },
    ]);
  if (seconds < MIN_SECONDS)
    throw refuse(name, [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        message: `Invalid value: ${seconds}: may not specify a duration less than 10 minutes`,
      },
    ]);
  if (seconds > MAX_SECONDS)
    throw refuse(name, [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        message: `Invalid value: ${seconds}: may not specify a duration larger than 2^32 seconds`,
      },
    ]);
  const audiences = spec.audiences ?? [];
  if (!Array.isArray(audiences) || !audiences.every((a) => typeof a === 'string' && a !== ''))
    throw refuse(name, [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.audiences',
        message: 'Invalid value: audiences must be non-empty strings',
      },
    ]);
  return { audiences: audiences as string[], seconds };
}

/**
 * POST `serviceaccounts/NAME/token` (the TokenRequest API, `kubectl create token NAME
 * [--duration] [--audience] [--bound-object-kind …]`): checks the lifetime (10 minutes at
 * least, an hour by default), the ServiceAccount and the object the token is bound to (a Pod,
 * Secret or Node that exists, with the uid given, and a pod running as that ServiceAccount),
 * runs admission (NodeRestriction: a node only for its own pods), and answers 201 with the
 * TokenRequest and `status.token`, a signed JWT. Nothing is stored.
 */
export async function handleTokenRequest(
  deps: ApiDeps,
  tokens: ServiceAccountTokens,
  r: ResourceRequest,
): Promise<void> {
  const name = r.name ?? '';
  const body = parseObjectBody(await readBody(r.req), r.req.headers['content-type'] ?? '');
  const spec = (body.spec ?? {}) as TokenRequestSpec;
  const { audiences, seconds } = readSpec(name, spec);
  const sa = await deps.store.get('serviceaccounts', r.namespace, name);
  if (sa === undefined) throw notFound('serviceaccounts', name, { name, group: '', kind: 'serviceaccounts' });
  const bound = await boundObject(deps, r.namespace, name, spec.boundObjectRef ?? undefined);
  const request: KubeObject = {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name, namespace: r.namespace, creationTimestamp: rfc3339(r.now) },
    spec: {
      audiences: audiences.length > 0 ? audiences : [...tokens.apiAudiences],
      expirationSeconds: seconds,
      ...(bound !== undefined
        ? {
            boundObjectRef: {
              kind: bound.ref.kind,
              apiVersion: 'v1',
              name: bound.ref.name,
              uid: bound.ref.uid,
            },
          }
        : {}),
    },
  };
  await deps.admission?.admit({
    operation: 'create',
    user: r.user,
    apiGroup: '',
    resource: 'serviceaccounts',
    subresource: 'token',
    namespace: r.namespace,
    requestName: name,
    object: request,
  });
  const issued = tokens.issue({
    namespace: r.namespace,
    serviceAccount: { name, uid: sa.metadata.uid ?? '' },
    audiences,
    expirationSeconds: seconds,
    ...(bound !== undefined ? { bound: bound.ref } : {}),
    ...(bound?.node !== undefined ? { node: bound.node } : {}),
  });
  sendJson(r.res, 201, {
    ...request,
    status: { token: issued.token, expirationTimestamp: rfc3339(issued.expiresAt) },
  });
}

async function boundObject(
  deps: ApiDeps,
  namespace: string,
  serviceAccount: string,
  ref: TokenRequestSpec['boundObjectRef'],
): Promise<{ ref: BoundObject; node?: { name: string; uid: string } } | undefined> {
  if (ref === undefined || ref === null) return undefined;
  const kind = typeof ref.kind === 'string' ? ref.kind : '';
  const info = BOUND_KINDS[kind];
  if (info === undefined)
    throw refuse(serviceAccount, [
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.boundObjectRef.kind',
        message: `Unsupported value: "${kind}": supported values: "Pod", "Secret", "Node"`,
      },
    ]);
  const name = typeof ref.name === 'string' ? ref.name : '';
  if (name === '')
    throw refuse(serviceAccount, [
      { reason: 'FieldValueRequired', field: 'spec.boundObjectRef.name', message: 'Required value' },
    ]);
  const object = await deps.store.get(info.resource, info.namespaced ? namespace : '', name);
  if (object === undefined) throw notFound(info.resource, name, { name, group: '', kind: info.resource });
  const uid = typeof ref.uid === 'string' && ref.uid !== '' ? ref.uid : (object.metadata.uid ?? '');
  if (uid !== object.metadata.uid)
    throw new ApiError(
      'API_CONFLICT',
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${kind} "${name}": the UID in the bound object reference (${uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      { name, group: '', kind },
    );
  if (kind !== 'Pod') return { ref: { kind: kind as BoundObject['kind'], name, uid } };
  const spec = (object.spec ?? {}) as { serviceAccountName?: string; nodeName?: string };
  if ((spec.serviceAccountName ?? 'default') !== serviceAccount)
    throw badRequest(
      `cannot bind token for serviceaccount "${serviceAccount}" to pod running with different serviceaccount name.`,
    );
  const node = spec.nodeName ? await deps.store.get('nodes', '', spec.nodeName) : undefined;
  return {
    ref: { kind: 'Pod', name, uid },
    ...(node !== undefined ? { node: { name: spec.nodeName ?? '', uid: node.metadata.uid ?? '' } } : {}),
  };
}
