/**
 * What one node's service proxy serves for one Service: its listeners (ClusterIP, every
 * NodePort on the node's address, every LoadBalancer ingress address) with the endpoints of its
 * EndpointSlices, as kube-proxy computes its rules. Pure: no I/O.
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import {
  ALGORITHMS,
  type AlgorithmName,
  type EndpointConfig,
  type ListenerConfig,
  type ListenerProtocol,
} from '../proxy-config.js';
import { isIpAddress } from '../proxy-config.js';

/** Service annotation: `http` or `tcp`, overriding what the ports' `appProtocol` says. */
export const PROXY_PROTOCOL_ANNOTATION = 'stratus.dev/proxy-protocol';
/** Service annotation: the balancing algorithm (one of ALGORITHMS); default round-robin. */
export const ALGORITHM_ANNOTATION = 'stratus.dev/load-balancer-algorithm';
/** Pod annotation: the endpoint's weight, 0–256 (default 1). */
export const WEIGHT_ANNOTATION = 'stratus.dev/load-balancer-weight';
/** The label naming a slice's Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The node the proxy runs on. */
export interface ProxyNode {
  name: string;
  /** Where NodePorts listen (the node's InternalIP). */
  address: string;
}

/** Kubernetes' default `sessionAffinityConfig.clientIP.timeoutSeconds`. */
const DEFAULT_AFFINITY_SECONDS = 10_800;
const L7_APP_PROTOCOLS = new Set(['http', 'kubernetes.io/ws']);

/** A problem with a Service's proxy annotations, reported without failing the others. */
export interface ServiceWarning {
  service: string;
  message: string;
}

function protocolOf(
  svc: Service,
  port: ServicePort,
  warn: (m: string) => void,
): ListenerProtocol | undefined {
  const proto = port.protocol ?? 'TCP';
  if (proto === 'UDP') return 'udp';
  if (proto !== 'TCP') return undefined;
  const override = svc.metadata?.annotations?.[PROXY_PROTOCOL_ANNOTATION];
  if (override === 'http' || override === 'tcp') return override;
  if (override !== undefined) warn(`${PROXY_PROTOCOL_ANNOTATION}: "${override}" is not http or tcp`);
  return L7_APP_PROTOCOLS.has(port.appProtocol ?? '') ? 'http' : 'tcp';
}

function algorithmOf(svc: Service, warn: (m: string) => void): AlgorithmName {
  const value = svc.metadata?.annotations?.[ALGORITHM_ANNOTATION];
  if (value === undefined) return 'round-robin';
  if ((ALGORITHMS as readonly string[]).includes(value)) return value as AlgorithmName;
  warn(`${ALGORITHM_ANNOTATION}: "${value}" is not one of ${ALGORITHMS.join(', ')}; using round-robin`);
  return 'round-robin';
}

/** A pod annotation's weight, or 1 when absent or not an integer from 0 to 256. */
export function weightOf(annotations: Record<string, string> | undefined): number {
  const text = annotations?.[WEIGHT_ANNOTATION];
  const n = text === undefined ? 1 : Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 256 ? n : 1;
}

/** The endpoints of one Service port across its slices (first occurrence of an id wins). */
function endpointsOf(
  port: ServicePort,
  slices: readonly EndpointSlice[],
  weight: (namespace: string, pod: string) => number,
  onlyNode: string | undefined,
): EndpointConfig[] {
  const out = new Map<string, EndpointConfig>();
  const protocol = port.protocol ?? 'TCP';
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const sp = (slice.ports ?? []).find(
      (p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === protocol,
    );
    if (sp?.port === undefined) continue;
    for (const e of slice.endpoints) {
      const address = e.addresses[0];
      if (address === undefined || !isIpAddress(address)) continue;
      if (onlyNode !== undefined && e.nodeName !== onlyNode) continue;
      const ref = e.targetRef;
      const id = `${ref?.uid ?? address}:${sp.port}`;
      if (out.has(id)) continue;
      const ready = e.conditions?.ready ?? true;
      out.set(id, {
        id,
        address,
        port: sp.port,
        weight: ref?.kind === 'Pod' && ref.name !== undefined ? weight(ref.namespace ?? '', ref.name) : 1,
        ready,
        serving: e.conditions?.serving ?? ready,
        terminating: e.conditions?.terminating ?? false,
      });
    }
  }
  return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** What `serviceListeners` needs besides the Service. */
export interface ServiceListenerInput {
  /** The Service's EndpointSlices. */
  slices: readonly EndpointSlice[];
  node: ProxyNode;
  /** A pod's weight (from WEIGHT_ANNOTATION). */
  weight: (namespace: string, pod: string) => number;
  warn: (warning: ServiceWarning) => void;
}

/**
 * The listeners of one Service on one node. Headless and ExternalName Services, and SCTP ports,
 * have none. `internalTrafficPolicy: Local` keeps the ClusterIP's endpoints to this node's,
 * `externalTrafficPolicy: Local` those of the NodePorts and LoadBalancer addresses.
 */
export function serviceListeners(svc: Service, input: ServiceListenerInput): ListenerConfig[] {
  const spec = svc.spec;
  const clusterIP = spec?.clusterIP;
  if (spec === undefined || spec.type === 'ExternalName') return [];
  if (clusterIP === undefined || clusterIP === '' || clusterIP === 'None' || !isIpAddress(clusterIP))
    return [];
  const service = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
  const warn = (message: string): void => input.warn({ service, message });
  const algorithm = algorithmOf(svc, warn);
  const affinity =
    spec.sessionAffinity === 'ClientIP'
      ? {
          type: 'source' as const,
          timeoutMs:
            1000 *
            Math.min(
              86_400,
              Math.max(1, spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS),
            ),
        }
      : undefined;
  const ingress = (spec.type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []) : [])
    .map((i) => i.ip)
    .filter((ip): ip is string => ip !== undefined && isIpAddress(ip));
  const out: ListenerConfig[] = [];
  for (const port of spec.ports ?? []) {
    const protocol = protocolOf(svc, port, warn);
    if (protocol === undefined) continue;
    const base = `${service}:${port.name !== undefined && port.name !== '' ? port.name : String(port.port)}`;
    const local = (policy: string | undefined): string | undefined =>
      policy === 'Local' ? input.node.name : undefined;
    const listener = (name: string, address: string, listenPort: number, policy: string | undefined) => ({
      name,
      address,
      port: listenPort,
      protocol: protocol,
      algorithm,
      ...(affinity === undefined ? {} : { persistence: affinity }),
      endpoints: endpointsOf(port, input.slices, input.weight, local(policy)),
    });
    out.push(listener(base, clusterIP, port.port, spec.internalTrafficPolicy));
    if (port.nodePort !== undefined && port.nodePort > 0 && spec.type !== 'ClusterIP') {
      out.push(listener(`${base}/node-port`, input.node.address, port.nodePort, spec.externalTrafficPolicy));
    }
    for (const ip of ingress) {
      if (ip === clusterIP) continue;
      out.push(listener(`${base}/lb/${ip}`, ip, port.port, spec.externalTrafficPolicy));
    }
  }
  return out;
}
