import { StratusError } from '../common/stratus-error.js';

/**
 * The error the runtimes raise for conditions the agent reports on a Pod. `code` is one of the
 * `RUNTIME_*` codes below; the agent turns `RUNTIME_CONTAINER_CONFIG` into the Kubernetes waiting
 * reason `CreateContainerConfigError` and `RUNTIME_START_FAILED` into `RunContainerError`.
 */
export class RuntimeError extends StratusError {
  constructor(code: string, status: number, message: string, details?: Record<string, unknown>) {
    super(code, status, message, details);
    this.name = 'RuntimeError';
  }
}

/** A container's configuration cannot be resolved (missing ConfigMap key, bad field path …). */
export function containerConfigError(message: string, details?: Record<string, unknown>): RuntimeError {
  return new RuntimeError('RUNTIME_CONTAINER_CONFIG', 400, message, details);
}

/** The runtime could not start a container (no command, spawn failure …). */
export function startFailed(message: string, details?: Record<string, unknown>): RuntimeError {
  return new RuntimeError('RUNTIME_START_FAILED', 500, message, details);
}

/** No container with this id is known to the runtime. */
export function containerNotFound(id: string): RuntimeError {
  return new RuntimeError('RUNTIME_CONTAINER_NOT_FOUND', 404, `container "${id}" not found`, { id });
}

/** An exec into a container that has exited (kubelet's wording). */
export function containerNotRunning(container: string): RuntimeError {
  return new RuntimeError(
    'RUNTIME_CONTAINER_NOT_RUNNING',
    400,
    `container ${container} is not running: cannot exec into a container that has exited`,
    { container },
  );
}

/** `logs --previous` for a container that has no earlier attempt (kubelet's message). */
export function previousNotFound(container: string, pod: string): RuntimeError {
  return new RuntimeError(
    'RUNTIME_CONTAINER_NOT_FOUND',
    400,
    `previous terminated container "${container}" in pod "${pod}" not found`,
    { container, pod },
  );
}

/** No free host port could be allocated. */
export function noHostPort(message: string): RuntimeError {
  return new RuntimeError('RUNTIME_NO_HOST_PORT', 503, message);
}
