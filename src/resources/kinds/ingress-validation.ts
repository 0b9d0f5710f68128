import type {
  HTTPIngressPath,
  Ingress,
  IngressBackend,
  IngressSpec,
} from 'kubernetes-types/networking/v1.js';
import { isIP } from '../../common/ip-address.js';
import type { FieldError } from '../resource-type.js';
import { invalid, notSupported, required } from '../field-error.js';
import { isDns1035Label, isDns1123Subdomain, isWildcardDns1123Subdomain } from '../names.js';
import { isValidPortName, portNumberErrors } from '../pod-spec-validation.js';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const BAD_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const BAD_SUFFIXES = ['/..', '/.'];

/** The deprecated annotation that names an Ingress's class. */
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

function hostErrors(host: string): string[] {
  return host.includes('*') ? isWildcardDns1123Subdomain(host) : isDns1123Subdomain(host);
}

function validateBackend(b: IngressBackend, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (b.resource !== undefined && b.service !== undefined) {
    return [invalid(path, '', 'cannot set both resource and service backends')];
  }
  if (b.resource !== undefined) {
    const r = b.resource;
    if (r.apiGroup !== undefined) {
      for (const m of isDns1123Subdomain(r.apiGroup))
        errs.push(invalid(`${path}.resource.apiGroup`, r.apiGroup, m));
    }
    if (!r.kind) errs.push(required(`${path}.resource.kind`, 'kind is required'));
    if (!r.name) errs.push(required(`${path}.resource.name`, 'name is required'));
    return errs;
  }
  const svc = b.service;
  if (svc === undefined) return [invalid(path, '', 'resource or service backend is required')];
  if (!svc.name) errs.push(required(`${path}.service.name`));
  else for (const m of isDns1035Label(svc.name)) errs.push(invalid(`${path}.service.name`, svc.name, m));
  const name = svc.port?.name ?? '';
  const number = svc.port?.number ?? 0;
  if (name !== '' && number !== 0) errs.push(invalid(path, '', 'cannot set both port name & port number'));
  else if (name !== '')
    for (const m of isValidPortName(name)) errs.push(invalid(`${path}.service.port.name`, name, m));
  else if (number !== 0) {
    for (const m of portNumberErrors(number)) errs.push(invalid(`${path}.service.port.number`, number, m));
  } else errs.push(required(path, 'port name or number is required'));
  return errs;
}

function validatePath(p: HTTPIngressPath, path: string): FieldError[] {
  if (p.pathType === undefined) return [required(`${path}.pathType`, 'pathType must be specified')];
  const errs: FieldError[] = [];
  const value = p.path ?? '';
  if (p.pathType === 'Exact' || p.pathType === 'Prefix') {
    if (!value.startsWith('/')) errs.push(invalid(`${path}.path`, value, 'must be an absolute path'));
    for (const seq of BAD_SEQUENCES) {
      if (value.includes(seq)) errs.push(invalid(`${path}.path`, value, `must not contain '${seq}'`));
    }
    for (const suffix of BAD_SUFFIXES) {
      if (value.endsWith(suffix)) errs.push(invalid(`${path}.path`, value, `cannot end with '${suffix}'`));
    }
  } else if (p.pathType === 'ImplementationSpecific') {
    if (value !== '' && !value.startsWith('/'))
      errs.push(invalid(`${path}.path`, value, 'must be an absolute path'));
  } else {
    errs.push(notSupported(`${path}.pathType`, p.pathType, PATH_TYPES));
  }
  return [...errs, ...validateBackend(p.backend, `${path}.backend`)];
}

function validateSpec(spec: IngressSpec): FieldError[] {
  const errs: FieldError[] = [];
  const rules = spec.rules ?? [];
  if (rules.length === 0 && spec.defaultBackend === undefined) {
    errs.push(invalid('spec', rules, 'either `defaultBackend` or `rules` must be specified'));
  }
  if (spec.defaultBackend !== undefined)
    errs.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
  rules.forEach((rule, i) => {
    const path = `spec.rules[${i}]`;
    if (rule.host) {
      if (isIP(rule.host))
        errs.push(invalid(`${path}.host`, rule.host, 'must be a DNS name, not an IP address'));
      for (const m of hostErrors(rule.host)) errs.push(invalid(`${path}.host`, rule.host, m));
    }
    if (rule.http !== undefined) {
      const paths = rule.http.paths ?? [];
      if (paths.length === 0) errs.push(required(`${path}.http.paths`));
      paths.forEach((p, j) => errs.push(...validatePath(p, `${path}.http.paths[${j}]`)));
    }
  });
  (spec.tls ?? []).forEach((tls, i) => {
    (tls.hosts ?? []).forEach((host, j) => {
      for (const m of hostErrors(host)) errs.push(invalid(`spec.tls[${i}].hosts[${j}]`, host, m));
    });
    if (tls.secretName) {
      for (const m of isDns1123Subdomain(tls.secretName))
        errs.push(invalid(`spec.tls[${i}].secretName`, tls.secretName, m));
    }
  });
  if (spec.ingressClassName !== undefined) {
    for (const m of isDns1123Subdomain(spec.ingressClassName)) {
      errs.push(invalid('spec.ingressClassName', spec.ingressClassName, m));
    }
  }
  return errs;
}

/**
 * Kubernetes' ValidateIngressCreate/Update: rules or a default backend; hosts DNS names
 * (wildcards as `*.example.com`), never IPs; HTTP paths with a path type, absolute, without
 * `//`, `/./`, `/../` or encoded slashes for Exact and Prefix; each backend one service (a
 * DNS-1035 name and a port name or number) or one resource; TLS hosts and secret names; the
 * class name, which must agree with the deprecated class annotation on create; load-balancer
 * status addresses.
 */
export function validateIngress(ingress: Ingress, old: Ingress | undefined): FieldError[] {
  const errs = validateSpec(ingress.spec ?? {});
  const annotation = ingress.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
  const className = ingress.spec?.ingressClassName;
  if (old === undefined && annotation !== undefined && className !== undefined && annotation !== className) {
    errs.push(
      invalid(
        `annotations.${INGRESS_CLASS_ANNOTATION}`,
        annotation,
        'must match `ingressClassName` when both are specified',
      ),
    );
  }
  (ingress.status?.loadBalancer?.ingress ?? []).forEach((lb, i) => {
    const path = `status.loadBalancer.ingress[${i}]`;
    if (lb.ip && !isIP(lb.ip)) errs.push(invalid(`${path}.ip`, lb.ip, 'must be a valid IP address'));
    if (lb.hostname) {
      for (const m of isDns1123Subdomain(lb.hostname)) errs.push(invalid(`${path}.hostname`, lb.hostname, m));
      if (isIP(lb.hostname))
        errs.push(invalid(`${path}.hostname`, lb.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}
