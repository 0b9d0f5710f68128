import type { LoadBalancerStatus, Service } from 'kubernetes-types/core/v1.js';
import type { KindDefinition } from '../define-kind.js';
import { age } from '../age.js';
import { formatMapSelector } from '../label-selector.js';
import { ageColumn, column, nameColumn } from '../table.js';
import { externallyAccessible, validateService, validateServiceUpdate } from './service-validation.js';

/** Kubernetes' DefaultClientIPServiceAffinitySeconds: three hours. */
const DEFAULT_AFFINITY_SECONDS = 10800;

/**
 * Load-balancer addresses as kubectl's `loadBalancerStatusStringer`: IPs or hostnames joined
 * by commas, cut to 13 characters and `...` in a narrow table. The API server builds its
 * Tables wide (kube-apiserver's table convertor does), so its cells are never cut.
 */
export function loadBalancerAddresses(status: LoadBalancerStatus | undefined, wide: boolean): string {
  const out = (status?.ingress ?? [])
    .map((i) => i.ip || i.hostname || '')
    .filter((x) => x !== '')
    .join(',');
  return !wide && out.length > 16 ? `${out.slice(0, 13)}...` : out;
}

/** The EXTERNAL-IP cell, as kubectl's `getServiceExternalIP`. */
function externalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc.status?.loadBalancer, true);
      const all = [...(lb ? lb.split(',') : []), ...external];
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** The PORT(S) cell: `80/TCP,443:30443/TCP`, as kubectl's `makePortString`. */
function portString(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports
    .map((p) =>
      p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`,
    )
    .join(',');
}

/**
 * core/v1 Service. Defaults as Kubernetes' SetDefaults_Service: type ClusterIP, sessionAffinity
 * None (ClientIP gets a 10800 s timeout), port protocol TCP and targetPort = port,
 * externalTrafficPolicy Cluster when externally accessible, internalTrafficPolicy Cluster,
 * allocateLoadBalancerNodePorts true for LoadBalancers, ipMode VIP for load-balancer IPs.
 * Cluster IPs, node ports and IP families are filled in by the API server's allocator, which
 * runs before validation (`src/api/allocation/`).
 */
export const serviceKind: KindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  shortNames: ['svc'],
  namespaced: true,
  categories: ['all'],
  subresources: ['status'],
  schemaRef: 'io.k8s.api.core.v1.Service',
  nameRule: 'dns1035',
  defaults(object) {
    const svc = object as Service;
    const spec = (svc.spec ??= {});
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    if (spec.sessionAffinity === 'ClientIP') {
      const clientIP = ((spec.sessionAffinityConfig ??= {}).clientIP ??= {});
      clientIP.timeoutSeconds ??= DEFAULT_AFFINITY_SECONDS;
    }
    for (const p of spec.ports ?? []) {
      p.protocol ??= 'TCP';
      if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
    }
    if (!spec.externalTrafficPolicy && externallyAccessible(spec)) spec.externalTrafficPolicy = 'Cluster';
    if (['ClusterIP', 'NodePort', 'LoadBalancer'].includes(spec.type))
      spec.internalTrafficPolicy ??= 'Cluster';
    if (spec.type === 'LoadBalancer') {
      spec.allocateLoadBalancerNodePorts ??= true;
      for (const ing of svc.status?.loadBalancer?.ingress ?? []) if (ing.ip) ing.ipMode ??= 'VIP';
    }
  },
  validate(object, old) {
    return old === undefined
      ? validateService(object as Service)
      : validateServiceUpdate(object as Service, old as Service);
  },
  columns: [
    nameColumn,
    column('Type', 'string', 'The type of the service.'),
    column('Cluster-IP', 'string', 'The IP address of the service.'),
    column('External-IP', 'string', 'The external IP addresses of the service.'),
    column('Port(s)', 'string', 'The ports the service exposes.'),
    ageColumn,
    column(
      'Selector',
      'string',
      'Route service traffic to pods with label keys and values matching this selector.',
      { priority: 1 },
    ),
  ],
  cells(object, now) {
    const svc = object as Service;
    return [
      svc.metadata?.name ?? '',
      svc.spec?.type ?? 'ClusterIP',
      svc.spec?.clusterIP || '<none>',
      externalIP(svc),
      portString(svc),
      age(svc.metadata?.creationTimestamp, now),
      formatMapSelector(svc.spec?.selector),
    ];
  },
};
