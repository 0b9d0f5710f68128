import { StratusError } from '../common/stratus-error.js';

/**
 * The error the API server raises for a request it refuses. `reason` is the Kubernetes
 * `StatusReason` (`NotFound`, `AlreadyExists`, `Invalid` …) and `status` the HTTP code; the
 * server turns it into a `Status` object whose `message` is exactly what kubectl prints, and
 * whose `details` carry the name, group, kind and per-field causes.
 */
export class ApiError extends StratusError {
  readonly reason: string;
  readonly statusDetails: StatusDetails | undefined;

  constructor(code: string, status: number, reason: string, message: string, details?: StatusDetails) {
    super(code, status, message, details as Record<string, unknown> | undefined);
    this.name = 'ApiError';
    this.reason = reason;
    this.statusDetails = details;
  }
}

/** Kubernetes `StatusDetails`: which object the failure is about, and why field by field. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** Kubernetes `StatusCause`. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** 400 `BadRequest`: a body that cannot be read or disagrees with the URL. */
export function badRequest(message: string, details?: StatusDetails): ApiError {
  return new ApiError('API_BAD_REQUEST', 400, 'BadRequest', message, details);
}

/** 401 `Unauthorized`: no token, or one that no user holds. */
export function unauthorized(): ApiError {
  return new ApiError('API_UNAUTHORIZED', 401, 'Unauthorized', 'Unauthorized');
}

/** 403 `Forbidden`, e.g. creating content in a namespace that is being terminated. */
export function forbidden(message: string, details?: StatusDetails): ApiError {
  return new ApiError('API_FORBIDDEN', 403, 'Forbidden', message, details);
}

/** 404 `NotFound` with Kubernetes' message: `deployments.apps "web" not found`. */
export function notFound(resource: string, name: string, details?: StatusDetails): ApiError {
  return new ApiError('API_NOT_FOUND', 404, 'NotFound', `${resource} "${name}" not found`, details);
}

/** 404 for a path no resource is served at. */
export function pathNotFound(path: string): ApiError {
  return new ApiError(
    'API_PATH_NOT_FOUND',
    404,
    'NotFound',
    `the server could not find the requested resource (${path})`,
  );
}

/** 405 `MethodNotAllowed`: the verb is not served at this path. */
export function methodNotAllowed(method: string, path: string): ApiError {
  return new ApiError(
    'API_METHOD_NOT_ALLOWED',
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method} ${path})`,
  );
}

/** 409 `AlreadyExists`: `namespaces "x" already exists`. */
export function alreadyExists(resource: string, name: string, details?: StatusDetails): ApiError {
  return new ApiError(
    'API_ALREADY_EXISTS',
    409,
    'AlreadyExists',
    `${resource} "${name}" already exists`,
    details,
  );
}

/** 409 `Conflict`: a stale resourceVersion, with the message kubectl users know. */
export function conflict(resource: string, name: string, details?: StatusDetails, why?: string): ApiError {
  const tail =
    why ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return new ApiError(
    'API_CONFLICT',
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resource} "${name}": ${tail}`,
    details,
  );
}

/** 409 `Conflict` from server-side apply: fields owned by another manager. */
export function applyConflict(message: string, details: StatusDetails): ApiError {
  return new ApiError('API_APPLY_CONFLICT', 409, 'Conflict', message, details);
}

/** 410 `Expired`: a watch or list from a compacted revision. */
export function expired(message: string): ApiError {
  return new ApiError('API_EXPIRED', 410, 'Expired', message);
}

/** 413 `RequestEntityTooLarge`: a body over the limit. */
export function tooLarge(limit: number): ApiError {
  return new ApiError(
    'API_TOO_LARGE',
    413,
    'RequestEntityTooLarge',
    `the request body is larger than the limit of ${limit} bytes`,
  );
}

/** 415 `UnsupportedMediaType`: a patch or body type the server does not read. */
export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    'API_UNSUPPORTED_MEDIA_TYPE',
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got "${contentType}")`,
  );
}

/** 422 `Invalid`: `The Deployment "web" is invalid: spec.replicas: Invalid value: …`. */
export function invalid(kind: string, name: string, group: string, causes: StatusCause[]): ApiError {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')));
  const joined = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
  const qualified = group === '' ? kind : `${kind}.${group}`;
  return new ApiError('API_INVALID', 422, 'Invalid', `${qualified} "${name}" is invalid: ${joined}`, {
    name,
    group,
    kind,
    causes,
  });
}

/** 500 `InternalError`: a failure that is the server's fault. */
export function internalError(message: string): ApiError {
  return new ApiError('API_INTERNAL', 500, 'InternalError', `Internal error occurred: ${message}`);
}

/** 500: the API server cannot reach a node's agent (logs). */
export function nodeUnreachable(node: string, why: string): ApiError {
  return new ApiError(
    'API_NODE_UNREACHABLE',
    500,
    'InternalError',
    `Cannot reach the agent of node "${node}": ${why}`,
    {
      name: node,
      kind: 'nodes',
    },
  );
}

/**
 * The agent refused an exec, attach or port-forward upgrade: its 429 (too many sessions on the
 * node) stays a 429, a 400/404 is a 400, anything else a 500, with the agent's words.
 */
export function podStreamFailed(agentStatus: number, message: string): ApiError {
  if (agentStatus === 429) return new ApiError('API_POD_STREAM_FAILED', 429, 'TooManyRequests', message);
  const bad = agentStatus === 400 || agentStatus === 404;
  return new ApiError(
    'API_POD_STREAM_FAILED',
    bad ? 400 : 500,
    bad ? 'BadRequest' : 'InternalError',
    message,
  );
}

/** The agent refused a log request: 400 BadRequest for what the user asked wrong, 500 otherwise. */
export function podLogFailed(agentStatus: number, message: string): ApiError {
  const bad = agentStatus === 400 || agentStatus === 404;
  return new ApiError('API_POD_LOG_FAILED', bad ? 400 : 500, bad ? 'BadRequest' : 'InternalError', message);
}

/**
 * A Service IP or NodePort range the server cannot use (`--service-cluster-ip-range`,
 * `--service-node-port-range`): `API_SERVICE_RANGE_INVALID`.
 */
export class ServiceRangeError extends ApiError {
  constructor(message: string) {
    super('API_SERVICE_RANGE_INVALID', 400, 'BadRequest', message);
    this.name = 'ServiceRangeError';
  }
}

/** `--cluster-cidr` / `--node-cidr-mask-size` cannot be used (not IPv4, mask not longer). */
export class ClusterCidrError extends ApiError {
  constructor(message: string) {
    super('API_CLUSTER_CIDR_INVALID', 400, 'BadRequest', message);
    this.name = 'ClusterCidrError';
  }
}
