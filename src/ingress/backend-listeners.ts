/**
 * The data-plane listeners behind the Ingress routes: one HTTP listener on loopback per Service
 * port a route names, with the endpoints of that Service's EndpointSlices, so balancing,
 * health, retries and draining are the data plane's. Pure: no I/O.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import {
  ALGORITHMS,
  type AlgorithmName,
  type EndpointConfig,
  type ListenerConfig,
} from '../network/index.js';
import type { BackendRef } from './route-table.js';

/** The Service annotation naming the balancing algorithm (as the service proxy reads it). */
export const ALGORITHM_ANNOTATION = 'stratus.dev/load-balancer-algorithm';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Limits and timeouts every backend listener gets. */
export interface BackendSettings {
  /** Largest request body; ingress-nginx's `proxy-body-size` default is 1 MiB. */
  maxBodyBytes: number;
  /** How long an endpoint may take to answer (ingress-nginx's `proxy-read-timeout`, 60 s). */
  requestTimeoutMs: number;
}

/** The listener name of a backend: `ingress/namespace/service:port`. */
export function listenerName(b: BackendRef): string {
  return `ingress/${b.key}`;
}

function endpointsOf(service: Service, b: BackendRef, slices: readonly EndpointSlice[]): EndpointConfig[] {
  const port = (service.spec?.ports ?? []).find((p) =>
    typeof b.port === 'number' ? p.port === b.port : p.name === b.port,
  );
  if (port === undefined || service.spec?.type === 'ExternalName') return [];
  const out = new Map<string, EndpointConfig>();
  for (const slice of slices) {
    if (slice.metadata?.labels?.[SERVICE_NAME_LABEL] !== b.service) continue;
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const sp = (slice.ports ?? []).find((p) => (p.name ?? '') === (port.name ?? ''));
    if (sp?.port === undefined) continue;
    for (const e of slice.endpoints) {
      const address = e.addresses[0];
      if (address === undefined) continue;
      const id = `${address}:${sp.port}`;
      out.set(id, {
        id,
        address,
        port: sp.port,
        ready: e.conditions?.ready ?? true,
        serving: e.conditions?.serving ?? e.conditions?.ready ?? true,
        terminating: e.conditions?.terminating ?? false,
      });
    }
  }
  return [...out.values()];
}

function algorithmOf(service: Service | undefined): AlgorithmName {
  const value = service?.metadata?.annotations?.[ALGORITHM_ANNOTATION];
  return (ALGORITHMS as readonly string[]).includes(value ?? '') ? (value as AlgorithmName) : 'round-robin';
}

/**
 * One listener per backend on 127.0.0.1 (a port the system picks), trusting the front's
 * X-Forwarded-* headers. A backend whose Service or port is missing gets no endpoints, so the
 * data plane answers 503, as ingress-nginx does.
 */
export function backendListeners(
  backends: Iterable<BackendRef>,
  services: (namespace: string, name: string) => Service | undefined,
  slices: (namespace: string) => readonly EndpointSlice[],
  settings: BackendSettings,
): ListenerConfig[] {
  const out: ListenerConfig[] = [];
  for (const b of backends) {
    const service = services(b.namespace, b.service);
    out.push({
      name: listenerName(b),
      address: '127.0.0.1',
      port: 0,
      protocol: 'http',
      algorithm: algorithmOf(service),
      trustForwarded: true,
      maxBodyBytes: settings.maxBodyBytes,
      requestTimeoutMs: settings.requestTimeoutMs,
      // The front's pooled connections are closed by the front first (see ingress-front.ts).
      idleTimeoutMs: 300_000,
      passiveHealth: { consecutiveFailures: 3, ejectMs: 10_000, on5xx: false },
      endpoints: service === undefined ? [] : endpointsOf(service, b, slices(b.namespace)),
    });
  }
  return out;
}
