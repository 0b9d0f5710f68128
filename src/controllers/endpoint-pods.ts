import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { parseIPv4 } from '../common/ip-address.js';
import { HOST_PORTS_ANNOTATION, hostPortKey, parseHostPorts } from '../machinery/index.js';
import { isPodReady } from './pod-state.js';

/**
 * How a pod becomes an endpoint of a Service, as Kubernetes' endpoint and endpointslice
 * controllers decide it, plus one Stratus rule: a pod whose agent published host ports (the
 * `stratus.dev/host-ports` annotation; the `process` runtime) is reached at its node's address
 * and the host port given to the resolved container port, since it has no address of its own.
 * Pure.
 */

/**
 * Kubernetes' ShouldPodBeInEndpoints: not finished (Succeeded or Failed), has an address, and,
 * unless `includeTerminating`, not being deleted.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (podAddress(pod) === undefined) return false;
  return includeTerminating || !pod.metadata?.deletionTimestamp;
}

/** True when the agent mapped the pod's container ports to host ports (the `process` runtime). */
function usesHostPorts(pod: Pod): boolean {
  return Object.keys(parseHostPorts(pod.metadata?.annotations)).length > 0;
}

/**
 * The pod's IPv4 endpoint address: its node's (`status.hostIP`) when its ports are host ports,
 * else its own (`status.podIPs`, `status.podIP`); undefined while it has none.
 */
export function podAddress(pod: Pod): string | undefined {
  const status = pod.status ?? {};
  const candidates = usesHostPorts(pod)
    ? [status.hostIP, ...(status.hostIPs ?? []).map((h) => h.ip)]
    : [...(status.podIPs ?? []).map((p) => p.ip), status.podIP];
  return candidates.find((ip): ip is string => ip !== undefined && parseIPv4(ip) !== undefined);
}

/**
 * The port a Service port reaches on a pod: Kubernetes' FindPort (a named targetPort is looked
 * up among the containers' ports of the same protocol, sidecars included; a number is taken as
 * is), then, for a pod with host ports, the host port its agent gave that container port.
 * Undefined when a named port is not found (the pod then serves the other ports only).
 */
export function podPort(pod: Pod, servicePort: ServicePort): number | undefined {
  const spec = pod.spec;
  const protocol = servicePort.protocol ?? 'TCP';
  const containers = [
    ...(spec?.containers ?? []),
    ...(spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  const target = servicePort.targetPort ?? servicePort.port;
  let containerPort: number | undefined;
  let key: string | undefined;
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if ((p.protocol ?? 'TCP') !== protocol) continue;
      if (typeof target === 'string' ? p.name === target : p.containerPort === target) {
        containerPort = p.containerPort;
        key = hostPortKey(c.name, p);
        break;
      }
    }
    if (key !== undefined) break;
  }
  if (typeof target === 'string' && containerPort === undefined) return undefined;
  const port = containerPort ?? (target as number);
  if (key === undefined || !usesHostPorts(pod)) return port;
  return parseHostPorts(pod.metadata?.annotations)[key] ?? port;
}

/** Kubernetes' ShouldSetHostname: the pod names a hostname and this Service as its subdomain. */
export function endpointHostname(pod: Pod, svc: Service): string | undefined {
  const spec = pod.spec;
  if (!spec?.hostname || spec.subdomain !== svc.metadata?.name) return undefined;
  return pod.metadata?.namespace === svc.metadata?.namespace ? spec.hostname : undefined;
}

/**
 * True when a pod update can change its endpoints (Kubernetes' podEndpointsChanged, plus the
 * host-ports annotation and container ports): labels, deletion, readiness, phase, addresses,
 * node, hostname or ports.
 */
export function podEndpointsChanged(old: Pod, pod: Pod): boolean {
  const view = (p: Pod): string =>
    JSON.stringify([
      p.metadata?.labels ?? {},
      p.metadata?.deletionTimestamp ?? '',
      isPodReady(p),
      p.status?.phase ?? '',
      podAddress(p) ?? '',
      p.spec?.nodeName ?? '',
      p.spec?.hostname ?? '',
      p.spec?.subdomain ?? '',
      p.metadata?.annotations?.[HOST_PORTS_ANNOTATION] ?? '',
      (p.spec?.containers ?? []).map((c) => c.ports ?? []),
    ]);
  return view(old) !== view(pod);
}
