import { StratusError } from '../common/stratus-error.js';

/**
 * A Kubernetes `Status` object, as the API server returns it for a failed request. Only the
 * fields the client reads are typed; the rest pass through untouched.
 */
export interface KubeStatus {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: Array<{ reason?: string; message?: string; field?: string }>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/**
 * A request the API server refused: carries the server's `Status` (reason such as `NotFound`,
 * `AlreadyExists`, `Invalid`, and its message naming the object or field), so that callers can
 * branch on `reason` and the CLI can print `Error from server (NotFound): …` like kubectl.
 */
export class StatusError extends StratusError {
  /** The Kubernetes reason: `NotFound`, `Conflict`, `Invalid`, … (`Unknown` when absent). */
  readonly reason: string;
  /** The Status object as received (or synthesized from a non-Status error body). */
  readonly statusObject: KubeStatus;

  constructor(httpStatus: number, status: KubeStatus) {
    const reason = status.reason ?? reasonForCode(httpStatus);
    const message = status.message ?? `the server responded with HTTP ${httpStatus}`;
    super('CLIENT_STATUS_ERROR', httpStatus, message, { reason, status });
    this.name = 'StatusError';
    this.reason = reason;
    this.statusObject = status;
  }
}

/** The reason Kubernetes uses for an HTTP status when the body carries none. */
function reasonForCode(code: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    410: 'Expired',
    415: 'UnsupportedMediaType',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[code] ?? 'Unknown';
}

/** A kubeconfig that is missing, unreadable or lacks what the client needs. */
export class KubeconfigError extends StratusError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CLIENT_KUBECONFIG_INVALID', 400, message, details);
    this.name = 'KubeconfigError';
  }
}

/** A resource name (`deploy`, `foo.example.com`) that discovery does not know. */
export class UnknownResourceError extends StratusError {
  constructor(name: string) {
    super('CLIENT_UNKNOWN_RESOURCE', 404, `the server doesn't have a resource type "${name}"`, { name });
    this.name = 'UnknownResourceError';
  }
}

/** The API server could not be reached, or answered something that is not the Kubernetes API. */
export class ConnectionError extends StratusError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CLIENT_CONNECTION_FAILED', 503, message, details);
    this.name = 'ConnectionError';
  }
}

/** An apiVersion and kind (from a manifest) that no served resource has. */
export class UnknownKindError extends StratusError {
  constructor(apiVersion: string, kind: string) {
    super('CLIENT_UNKNOWN_KIND', 404, `no matches for kind "${kind}" in version "${apiVersion}"`, {
      apiVersion,
      kind,
    });
    this.name = 'UnknownKindError';
  }
}
