import type { Service, ServicePort, ServiceSpec } from 'kubernetes-types/core/v1.js';
import { isIP, parseCidr, specialIPErrors } from '../../common/ip-address.js';
import type { FieldError } from '../resource-type.js';
import { duplicate, forbidden, invalid, notSupported, required } from '../field-error.js';
import { isDns1123Label, isDns1123Subdomain, isQualifiedName } from '../names.js';
import { validateLabels } from '../object-meta.js';
import { isValidPortName, portNumberErrors } from '../pod-spec-validation.js';
import { isHeadless, validateClusterIPUpdate, validateServiceClusterIPs } from './service-ip-validation.js';

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
/** Kubernetes' MaxClientIPServiceAffinitySeconds: one day. */
const MAX_AFFINITY_SECONDS = 86400;

/** Kubernetes' ExternallyAccessible: NodePort, LoadBalancer, or ClusterIP with external IPs. */
export function externallyAccessible(spec: ServiceSpec): boolean {
  const type = spec.type ?? 'ClusterIP';
  return (
    type === 'LoadBalancer' ||
    type === 'NodePort' ||
    (type === 'ClusterIP' && (spec.externalIPs ?? []).length > 0)
  );
}

/** Kubernetes' NeedsHealthCheck: a LoadBalancer with `externalTrafficPolicy: Local`. */
export function needsHealthCheck(spec: ServiceSpec): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

function validatePort(p: ServicePort, path: string, requireName: boolean, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(required(`${path}.name`));
  else if (p.name) {
    for (const m of isDns1123Label(p.name)) errs.push(invalid(`${path}.name`, p.name, m));
    if (names.has(p.name)) errs.push(duplicate(`${path}.name`, p.name));
    names.add(p.name);
  }
  for (const m of portNumberErrors(p.port)) errs.push(invalid(`${path}.port`, p.port, m));
  if (!p.protocol) errs.push(required(`${path}.protocol`));
  else if (!PROTOCOLS.includes(p.protocol))
    errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  if (typeof p.targetPort === 'number') {
    for (const m of portNumberErrors(p.targetPort)) errs.push(invalid(`${path}.targetPort`, p.targetPort, m));
  } else if (typeof p.targetPort === 'string') {
    for (const m of isValidPortName(p.targetPort)) errs.push(invalid(`${path}.targetPort`, p.targetPort, m));
  }
  if (p.appProtocol !== undefined) {
    for (const m of isQualifiedName(p.appProtocol))
      errs.push(invalid(`${path}.appProtocol`, p.appProtocol, m));
  }
  return errs;
}

function validatePorts(spec: ServiceSpec, errs: FieldError[]): void {
  const ports = spec.ports ?? [];
  const names = new Set<string>();
  const nodePorts = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    errs.push(...validatePort(p, path, ports.length > 1, names));
    if (spec.type === 'ClusterIP' && p.nodePort) {
      errs.push(forbidden(`${path}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
    }
    if (p.nodePort) {
      const key = `${p.protocol ?? ''}/${p.nodePort}`;
      if (nodePorts.has(key)) errs.push(duplicate(`${path}.nodePort`, p.nodePort));
      nodePorts.add(key);
    }
    const key = `${p.protocol ?? ''}/${p.port}`;
    if (keys.has(key)) errs.push(duplicate(path, { port: p.port, protocol: p.protocol ?? '' }));
    keys.add(key);
  });
}

function validateAffinity(spec: ServiceSpec, errs: FieldError[]): void {
  const affinity = spec.sessionAffinity;
  if (!affinity) errs.push(required('spec.sessionAffinity'));
  else if (!AFFINITIES.includes(affinity))
    errs.push(notSupported('spec.sessionAffinity', affinity, AFFINITIES));
  const path = 'spec.sessionAffinityConfig';
  const when = 'when session affinity type is ClientIP';
  if (affinity === 'ClientIP') {
    const config = spec.sessionAffinityConfig;
    const timeout = config?.clientIP?.timeoutSeconds;
    if (config === undefined) errs.push(required(path, when));
    else if (config.clientIP === undefined) errs.push(required(`${path}.clientIP`, when));
    else if (timeout === undefined) errs.push(required(`${path}.clientIP.timeoutSeconds`, when));
    else if (timeout <= 0 || timeout > MAX_AFFINITY_SECONDS) {
      errs.push(
        invalid(
          `${path}.clientIP.timeoutSeconds`,
          timeout,
          `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`,
        ),
      );
    }
  } else if (affinity === 'None' && spec.sessionAffinityConfig !== undefined) {
    errs.push(forbidden(path, 'must not be set when session affinity is None'));
  }
}

function validateTypeFields(svc: Service, errs: FieldError[]): void {
  const spec = svc.spec ?? {};
  const type = spec.type;
  if (!type) errs.push(required('spec.type'));
  else if (!TYPES.includes(type)) errs.push(notSupported('spec.type', type, TYPES));
  if ((type === 'LoadBalancer' || type === 'NodePort') && isHeadless(svc)) {
    errs.push(invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services`));
  }
  if (type === 'ExternalName') {
    if ((spec.clusterIPs ?? []).length > 0)
      errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if ((spec.ipFamilies ?? []).length > 0)
      errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined) {
      errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    }
    const cname = (spec.externalName ?? '').replace(/\.$/, '');
    if (cname === '') errs.push(required('spec.externalName'));
    else for (const m of isDns1123Subdomain(cname)) errs.push(invalid('spec.externalName', cname, m));
  }
  const lbOnly = "may only be used when `type` is 'LoadBalancer'";
  (spec.loadBalancerSourceRanges ?? []).forEach((r, i) => {
    if (parseCidr(r.trim()) === undefined) {
      errs.push(
        invalid(
          `spec.loadBalancerSourceRanges[${i}]`,
          r,
          'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
        ),
      );
    }
  });
  if ((spec.loadBalancerSourceRanges ?? []).length > 0 && type !== 'LoadBalancer') {
    errs.push(forbidden('spec.loadBalancerSourceRanges', lbOnly));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && type !== 'LoadBalancer') {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', lbOnly));
  }
  if (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) {
    errs.push(required('allocateLoadBalancerNodePorts'));
  }
  if (spec.loadBalancerClass !== undefined) {
    if (type !== 'LoadBalancer') errs.push(forbidden('spec.loadBalancerClass', lbOnly));
    else
      for (const m of isQualifiedName(spec.loadBalancerClass))
        errs.push(invalid('spec.loadBalancerClass', spec.loadBalancerClass, m));
  }
}

function validateTrafficPolicies(spec: ServiceSpec, errs: FieldError[]): void {
  const etp = spec.externalTrafficPolicy;
  if (!externallyAccessible(spec)) {
    if (etp)
      errs.push(
        invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'),
      );
  } else if (!etp) errs.push(required('spec.externalTrafficPolicy'));
  else if (!TRAFFIC_POLICIES.includes(etp))
    errs.push(notSupported('spec.externalTrafficPolicy', etp, TRAFFIC_POLICIES));
  const hc = spec.healthCheckNodePort;
  if (!needsHealthCheck(spec)) {
    if (hc) {
      errs.push(
        invalid(
          'spec.healthCheckNodePort',
          hc,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (!hc) errs.push(required('spec.healthCheckNodePort'));
  else for (const m of portNumberErrors(hc)) errs.push(invalid('spec.healthCheckNodePort', hc, m));
  const itp = spec.internalTrafficPolicy;
  if (itp === undefined && ['ClusterIP', 'NodePort', 'LoadBalancer'].includes(spec.type ?? '')) {
    errs.push(required('spec.internalTrafficPolicy'));
  }
  if (itp !== undefined && !TRAFFIC_POLICIES.includes(itp)) {
    errs.push(notSupported('spec.internalTrafficPolicy', itp, TRAFFIC_POLICIES));
  }
  if (spec.trafficDistribution !== undefined && spec.trafficDistribution !== 'PreferClose') {
    errs.push(notSupported('spec.trafficDistribution', spec.trafficDistribution, ['PreferClose']));
  }
}

function validateStatus(svc: Service, errs: FieldError[]): void {
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    const path = `status.loadBalancer.ingress[${i}]`;
    if (ing.ip !== undefined && ing.ip !== '' && !isIP(ing.ip)) {
      errs.push(invalid(`${path}.ip`, ing.ip, 'must be a valid IP address'));
    }
    if (ing.hostname) {
      for (const m of isDns1123Subdomain(ing.hostname))
        errs.push(invalid(`${path}.hostname`, ing.hostname, m));
      if (isIP(ing.hostname))
        errs.push(invalid(`${path}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
    }
    if (ing.ipMode !== undefined) {
      if (!ing.ip) errs.push(forbidden(`${path}.ipMode`, 'may not be specified when `ip` is not'));
      else if (!['Proxy', 'VIP'].includes(ing.ipMode))
        errs.push(notSupported(`${path}.ipMode`, ing.ipMode, ['Proxy', 'VIP']));
    }
  });
}

/**
 * Kubernetes' ValidateService: ports (names, numbers, protocols, targetPort, appProtocol),
 * selector labels, session affinity and its ClientIP timeout, cluster IP fields, external IPs,
 * type-dependent fields (NodePorts only off ClusterIP, ExternalName without cluster IPs,
 * LoadBalancer-only fields), traffic policies and the load-balancer status. External IPs may be
 * loopback addresses, unlike in Kubernetes (see `specialIPErrors`).
 */
export function validateService(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  if ((spec.ports ?? []).length === 0 && !isHeadless(svc) && spec.type !== 'ExternalName') {
    errs.push(required('spec.ports'));
  }
  validatePorts(spec, errs);
  if (spec.selector !== undefined) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  validateAffinity(spec, errs);
  errs.push(...validateServiceClusterIPs(svc));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    for (const m of specialIPErrors(ip)) errs.push(invalid(`spec.externalIPs[${i}]`, ip, m));
  });
  validateTypeFields(svc, errs);
  validateTrafficPolicies(spec, errs);
  validateStatus(svc, errs);
  return errs;
}

/**
 * Kubernetes' ValidateServiceUpdate: the primary cluster IP and IP family may not change once
 * set (`validateClusterIPUpdate`), nor the load-balancer class or the health-check node port
 * while they apply; then every create rule.
 */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec ?? {};
  const before = old.spec ?? {};
  errs.push(...validateClusterIPUpdate(svc, old));
  if (
    spec.type === 'LoadBalancer' &&
    before.type === 'LoadBalancer' &&
    spec.loadBalancerClass !== before.loadBalancerClass
  ) {
    errs.push(invalid('spec.loadBalancerClass', spec.loadBalancerClass ?? null, 'may not change once set'));
  }
  if (
    needsHealthCheck(spec) &&
    needsHealthCheck(before) &&
    spec.healthCheckNodePort !== before.healthCheckNodePort
  ) {
    errs.push(forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return [...errs, ...validateService(svc)];
}
