import { StratusError } from '../common/stratus-error.js';
import { ApiError, type StatusDetails } from './errors.js';

/** A Kubernetes `Status` object, the body of every error reply and of watch ERROR events. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** What the failed request was about, to fill `details` when the error itself does not say. */
export interface ErrorScope {
  group: string;
  /** The resource plural (Kubernetes puts the plural in `details.kind` for store errors). */
  plural: string;
  name?: string;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
  504: 'Timeout',
  // Not one of Kubernetes' reasons (it has none for a full disk); clients treat any reason as text.
  507: 'InsufficientStorage',
};

const STORE_REASONS: Record<string, string> = {
  STORE_NOT_FOUND: 'NotFound',
  STORE_ALREADY_EXISTS: 'AlreadyExists',
  STORE_CONFLICT: 'Conflict',
  STORE_REVISION_COMPACTED: 'Expired',
  STORE_TOO_LARGE_RESOURCE_VERSION: 'Timeout',
};

/**
 * Turns any thrown value into the `Status` Kubernetes would send. ApiErrors carry their own
 * reason and details; other StratusErrors (the store's `STORE_*`, other parts' codes) map by
 * code and HTTP status, keeping their message, which already follows Kubernetes' wording; any
 * other error is a 500 whose message does not leak a stack.
 */
export function errorToStatus(err: unknown, scope?: ErrorScope): Status {
  if (err instanceof ApiError) {
    return makeStatus(err.status, err.reason, err.message, err.statusDetails ?? scopeDetails(scope));
  }
  if (err instanceof StratusError) {
    const reason =
      STORE_REASONS[err.code] ?? REASONS[err.status] ?? (err.status >= 500 ? 'InternalError' : 'BadRequest');
    if (err.code === 'STORE_TOO_LARGE_RESOURCE_VERSION') {
      // kube-apiserver's NewTooLargeResourceVersionError: clients retry after a second.
      return makeStatus(err.status, reason, err.message, {
        ...scopeDetails(scope),
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    }
    // A part may name the object as Kubernetes' admission does (`details.statusDetails`).
    const own = err.details?.statusDetails as StatusDetails | undefined;
    return makeStatus(err.status, reason, err.message, own ?? scopeDetails(scope));
  }
  const message = err instanceof Error ? err.message : String(err);
  return makeStatus(500, 'InternalError', `Internal error occurred: ${message}`, undefined);
}

/** A Failure Status with the given code, reason, message and details. */
export function makeStatus(
  code: number,
  reason: string,
  message: string,
  details: StatusDetails | undefined,
): Status {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details !== undefined) status.details = details;
  return status;
}

/** The `Success` Status some deletes (collections, namespaces' children) answer with. */
export function successStatus(details: StatusDetails): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

function scopeDetails(scope: ErrorScope | undefined): StatusDetails | undefined {
  if (scope === undefined) return undefined;
  const details: StatusDetails = { group: scope.group, kind: scope.plural };
  if (scope.name !== undefined) details.name = scope.name;
  return details;
}
