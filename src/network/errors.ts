import { StratusError } from '../common/stratus-error.js';

/** Errors of the service proxy and its data planes: `NETWORK_*` codes. */
export class NetworkError extends StratusError {
  constructor(code: string, status: number, message: string, details?: Record<string, unknown>) {
    super(code, status, message, details);
    this.name = 'NetworkError';
  }
}

/** A proxy configuration names an impossible value; nothing of it was applied. */
export function configInvalid(field: string, message: string): NetworkError {
  return new NetworkError('NETWORK_CONFIG_INVALID', 422, `proxy configuration: ${field}: ${message}`, {
    field,
  });
}

/** A listener could not bind its address (in use, not local, no permission). */
export function listenFailed(listener: string, address: string, port: number, cause: string): NetworkError {
  return new NetworkError(
    'NETWORK_LISTEN_FAILED',
    500,
    `listener "${listener}" cannot listen on ${address}:${port}: ${cause}`,
    { listener, address, port },
  );
}

/** A data plane needs a program that is not installed (HAProxy). */
export function dataPlaneUnavailable(driver: string, reason: string): NetworkError {
  return new NetworkError(
    'NETWORK_DATA_PLANE_UNAVAILABLE',
    503,
    `data plane "${driver}" is unavailable: ${reason}`,
    {
      driver,
    },
  );
}

/** A data plane failed while applying a configuration (HAProxy rejected its config, a thread died). */
export function dataPlaneFailed(driver: string, reason: string): NetworkError {
  return new NetworkError('NETWORK_DATA_PLANE_FAILED', 500, `data plane "${driver}" failed: ${reason}`, {
    driver,
  });
}

/** The data plane was closed; it accepts no more configurations. */
export function dataPlaneClosed(driver: string): NetworkError {
  return new NetworkError('NETWORK_DATA_PLANE_CLOSED', 409, `data plane "${driver}" is closed`, { driver });
}

/** A pod range (`node.spec.podCIDR`) the pod network cannot use. */
export function podRangeInvalid(cidr: string, reason: string): NetworkError {
  return new NetworkError('POD_NETWORK_RANGE_INVALID', 422, `pod range "${cidr}": ${reason}`, { cidr });
}

/** Every address of the node's pod range is taken. */
export function podRangeFull(cidr: string, podUid: string): NetworkError {
  return new NetworkError(
    'POD_NETWORK_RANGE_FULL',
    503,
    `no free address in pod range ${cidr} for pod ${podUid}`,
    {
      cidr,
      podUid,
    },
  );
}

/** A command that sets up or tears down a pod's network failed (`ip`, `nft`, a sysctl). */
export function podNetworkFailed(what: string, reason: string): NetworkError {
  return new NetworkError('POD_NETWORK_FAILED', 500, `pod network: ${what}: ${reason}`, { what });
}
