import { StratusError } from '../common/stratus-error.js';

/**
 * The error every Store implementation throws for conditions a caller can act on. `code` is one
 * of the `STORE_*` codes below and `status` the HTTP status the API maps it to; `details` names
 * the resource, namespace and name involved so the API can fill a Kubernetes `Status.details`.
 */
export class StoreError extends StratusError {
  constructor(code: string, status: number, message: string, details?: Record<string, unknown>) {
    super(code, status, message, details);
    this.name = 'StoreError';
  }
}

function keyDetails(resource: string, namespace: string, name: string): Record<string, unknown> {
  return { resource, namespace, name };
}

/** `pods "web" not found` (404): the object does not exist. */
export function notFound(resource: string, namespace: string, name: string): StoreError {
  return new StoreError(
    'STORE_NOT_FOUND',
    404,
    `${resource} "${name}" not found`,
    keyDetails(resource, namespace, name),
  );
}

/** `pods "web" already exists` (409): create of a name that is taken. */
export function alreadyExists(resource: string, namespace: string, name: string): StoreError {
  return new StoreError(
    'STORE_ALREADY_EXISTS',
    409,
    `${resource} "${name}" already exists`,
    keyDetails(resource, namespace, name),
  );
}

/** The Kubernetes optimistic-concurrency conflict (409): the precondition's resourceVersion is stale. */
export function conflict(
  resource: string,
  namespace: string,
  name: string,
  expected: string,
  actual: number,
): StoreError {
  return new StoreError(
    'STORE_CONFLICT',
    409,
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; ` +
      'please apply your changes to the latest version and try again',
    { ...keyDetails(resource, namespace, name), expectedResourceVersion: expected, resourceVersion: actual },
  );
}

/** 410 Gone: the requested revision is older than the retained history. */
export function revisionCompacted(requested: number, compacted: number): StoreError {
  return new StoreError(
    'STORE_REVISION_COMPACTED',
    410,
    `too old resource version: ${requested} (${compacted})`,
    { requestedRevision: requested, compactedRevision: compacted },
  );
}

/** 410 Gone for a list continue token whose snapshot revision has been compacted. */
export function continueExpired(requested: number, compacted: number): StoreError {
  return new StoreError(
    'STORE_REVISION_COMPACTED',
    410,
    `The provided continue parameter is too old to display a consistent list result ` +
      `(revision ${requested} is compacted up to ${compacted}). You can start a new list without the continue parameter.`,
    { requestedRevision: requested, compactedRevision: compacted },
  );
}

/** 400: a continue token that this store did not issue or that belongs to another list. */
export function invalidContinue(token: string, why: string): StoreError {
  return new StoreError('STORE_INVALID_CONTINUE', 400, `invalid continue token "${token}": ${why}`, {
    continue: token,
  });
}

/** 400: an object the store cannot key (no metadata.name, or a namespace that is not a string). */
export function invalidObject(resource: string, why: string): StoreError {
  return new StoreError('STORE_INVALID_OBJECT', 400, `cannot store ${resource} object: ${why}`, {
    resource,
  });
}

/** 503: the store has been closed; the caller is shutting down or used it after close(). */
export function storeClosed(): StoreError {
  return new StoreError('STORE_CLOSED', 503, 'the store is closed');
}

/**
 * 504 (Kubernetes' `Timeout`): a read asked for a resourceVersion the watch cache did not reach
 * within its wait, as kube-apiserver answers a resourceVersion from the future.
 */
export function tooLargeResourceVersion(requested: number, current: number): StoreError {
  return new StoreError(
    'STORE_TOO_LARGE_RESOURCE_VERSION',
    504,
    `Too large resource version: ${requested}, current: ${current}`,
    { requestedRevision: requested, currentRevision: current },
  );
}

/** 507: the store refuses a write because its file system is (nearly) full. */
export function storeDiskFull(message: string, details?: Record<string, unknown>): StoreError {
  return new StoreError('STORE_DISK_FULL', 507, message, details);
}

/** 500: the disk failed the write (an I/O error); nothing of it was stored. */
export function storeDiskError(path: string, cause: unknown): StoreError {
  return new StoreError(
    'STORE_IO_ERROR',
    500,
    `the store could not write to ${path}: ${(cause as Error).message}; nothing of this write was stored`,
    { path },
  );
}

/**
 * 503: the store's servers did not answer (etcd members down, no leader, a call timed out). For a
 * write it is unknown whether it was applied; the client retries with a fresh read.
 */
export function storeUnavailable(message: string, details?: Record<string, unknown>): StoreError {
  return new StoreError('STORE_UNAVAILABLE', 503, message, details);
}

/** 413: the store's server refused the object as too large (etcd's `--max-request-bytes`). */
export function objectTooLarge(message: string): StoreError {
  return new StoreError('STORE_OBJECT_TOO_LARGE', 413, message);
}
