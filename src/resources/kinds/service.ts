import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { duplicate, invalid, notSupported, required } from '../field-error.js';
import { formatMapSelector } from '../label-selector.js';
import { isValidPortName, portNumberErrors } from '../pod-spec-validation.js';
import { ageColumn, column, nameColumn } from '../table.js';
import { isDns1123Subdomain } from '../names.js';

const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for an IPv4 or IPv6 address literal. */
export function isIP(s: string): boolean {
  return IPV4.test(s) || (/^[0-9a-fA-F:.]+$/.test(s) && s.includes(':') && s.split('::').length <= 2);
}

function validatePorts(svc: Service, errs: FieldError[]): void {
  const ports = svc.spec?.ports ?? [];
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p: ServicePort, i) => {
    const pp = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push(required(`${pp}.name`));
    if (p.name) {
      for (const m of isValidPortName(p.name)) errs.push(invalid(`${pp}.name`, p.name, m));
      if (names.has(p.name)) errs.push(duplicate(`${pp}.name`, p.name));
      names.add(p.name);
    }
    for (const m of portNumberErrors(p.port)) errs.push(invalid(`${pp}.port`, p.port, m));
    if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol)) {
      errs.push(notSupported(`${pp}.protocol`, p.protocol, PROTOCOLS));
    }
    const key = `${p.port}/${p.protocol ?? 'TCP'}`;
    if (keys.has(key)) errs.push(duplicate(pp, { port: p.port, protocol: p.protocol ?? 'TCP' }));
    keys.add(key);
    if (typeof p.targetPort === 'number') {
      for (const m of portNumberErrors(p.targetPort)) errs.push(invalid(`${pp}.targetPort`, p.targetPort, m));
    } else if (typeof p.targetPort === 'string') {
      for (const m of isValidPortName(p.targetPort)) errs.push(invalid(`${pp}.targetPort`, p.targetPort, m));
    }
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      for (const m of portNumberErrors(p.nodePort)) errs.push(invalid(`${pp}.nodePort`, p.nodePort, m));
    }
  });
}

/** The EXTERNAL-IP cell, as kubectl's `getServiceExternalIP`. */
function externalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'LoadBalancer': {
      const lb = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '');
      const all = [...lb, ...external].filter((x) => x);
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '<none>';
    default:
      return external.length ? external.join(',') : '<none>';
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
 * core/v1 Service: a DNS-label name; defaults type ClusterIP, sessionAffinity None, port
 * protocol TCP and targetPort = port; ports in range with unique names (required when more
 * than one); clusterIP may not change once set.
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
  nameRule: 'label',
  defaults(object) {
    const svc = object as Service;
    const spec = (svc.spec ??= {});
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    for (const p of spec.ports ?? []) {
      p.protocol ??= 'TCP';
      if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
    }
    if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster';
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  },
  validate(object, old) {
    const svc = object as Service;
    const spec = svc.spec ?? {};
    const errs: FieldError[] = [];
    const type = spec.type ?? 'ClusterIP';
    if (!TYPES.includes(type)) errs.push(notSupported('spec.type', type, TYPES));
    const headless = spec.clusterIP === 'None';
    if ((spec.ports ?? []).length === 0 && !headless && type !== 'ExternalName')
      errs.push(required('spec.ports'));
    validatePorts(svc, errs);
    if (type === 'ExternalName') {
      if (!spec.externalName) errs.push(required('spec.externalName'));
      else
        for (const m of isDns1123Subdomain(spec.externalName))
          errs.push(invalid('spec.externalName', spec.externalName, m));
    }
    if (spec.clusterIP && spec.clusterIP !== 'None' && !isIP(spec.clusterIP)) {
      errs.push(
        invalid(
          'spec.clusterIP',
          spec.clusterIP,
          'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        ),
      );
    }
    if (spec.sessionAffinity !== undefined && !['ClientIP', 'None'].includes(spec.sessionAffinity)) {
      errs.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
    }
    const before = (old as Service | undefined)?.spec?.clusterIP;
    if (before && spec.clusterIP !== before && type !== 'ExternalName') {
      errs.push(invalid('spec.clusterIP', spec.clusterIP ?? '', 'field is immutable'));
    }
    return errs;
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
