import type { Ingress, IngressClass, IngressRule } from 'kubernetes-types/networking/v1.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { forbidden, invalid, notSupported, required } from '../field-error.js';
import { isDns1123Label, isDns1123Subdomain, isDomainPrefixedPath } from '../names.js';
import { ageColumn, column, nameColumn } from '../table.js';
import { validateIngress } from './ingress-validation.js';

/** kubectl's `formatHosts`: up to three rule hosts, `*` when none names one. */
function formatHosts(rules: IngressRule[]): string {
  const hosts = rules.slice(0, 3).flatMap((r) => (r.host ? [r.host] : []));
  if (hosts.length === 0) return '*';
  return rules.length > 3 ? `${hosts.join(',')} + ${rules.length - 3} more...` : hosts.join(',');
}

/**
 * networking.k8s.io/v1 Ingress: validated as Kubernetes' (see `validateIngress`), with a status
 * subresource for the load balancer's addresses. Table as kubectl's: NAME CLASS HOSTS ADDRESS
 * PORTS AGE. Routing is the network part's job; this is the API object.
 */
export const ingressKind: KindDefinition = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  plural: 'ingresses',
  shortNames: ['ing'],
  namespaced: true,
  subresources: ['status'],
  schemaRef: 'io.k8s.api.networking.v1.Ingress',
  validate: (object, old) =>
    validateIngress(object as unknown as Ingress, old as unknown as Ingress | undefined),
  columns: [
    nameColumn,
    column(
      'Class',
      'string',
      'The name of the IngressClass resource that should be used for additional configuration',
    ),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn,
  ],
  cells(object, now) {
    const ing = object as unknown as Ingress;
    const addresses = new Set(
      (ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((x) => x !== ''),
    );
    return [
      ing.metadata?.name ?? '',
      ing.spec?.ingressClassName ?? '<none>',
      formatHosts(ing.spec?.rules ?? []),
      [...addresses].sort().join(','),
      (ing.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
      age(ing.metadata?.creationTimestamp, now),
    ];
  },
};

const SCOPES = ['Cluster', 'Namespace'];

function validateIngressClass(ic: IngressClass, old: IngressClass | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const controller = ic.spec?.controller ?? '';
  if (old !== undefined && controller !== (old.spec?.controller ?? '')) {
    errs.push(invalid('spec.controller', controller, 'field is immutable'));
  }
  if (controller.length > 250) {
    errs.push({
      reason: 'FieldValueTooLong',
      field: 'spec.controller',
      message: 'Too long: must have at most 250 bytes',
    });
  }
  if (controller === '') errs.push(required('spec.controller'));
  else
    for (const e of isDomainPrefixedPath(controller))
      errs.push(invalid('spec.controller', e.value, e.message));
  const p = ic.spec?.parameters;
  if (p === undefined) return errs;
  const path = 'spec.parameters';
  if (p.apiGroup !== undefined)
    for (const m of isDns1123Subdomain(p.apiGroup)) errs.push(invalid(`${path}.apiGroup`, p.apiGroup, m));
  if (!p.kind) errs.push(required(`${path}.kind`, 'kind is required'));
  if (!p.name) errs.push(required(`${path}.name`, 'name is required'));
  if (p.scope === undefined) errs.push(required(`${path}.scope`));
  else if (!SCOPES.includes(p.scope)) errs.push(notSupported(`${path}.scope`, p.scope, SCOPES));
  else if (p.scope === 'Namespace') {
    if (p.namespace === undefined)
      errs.push(required(`${path}.namespace`, "`parameters.scope` is set to 'Namespace'"));
    else for (const m of isDns1123Label(p.namespace)) errs.push(invalid(`${path}.namespace`, p.namespace, m));
  } else if (p.namespace !== undefined) {
    errs.push(forbidden(`${path}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  }
  return errs;
}

/**
 * networking.k8s.io/v1 IngressClass (cluster-scoped): a controller named by a domain-prefixed
 * path, immutable, and optional parameters (scope Cluster by default, as Kubernetes defaults
 * it). Table as kubectl's: NAME CONTROLLER PARAMETERS AGE.
 */
export const ingressClassKind: KindDefinition = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  plural: 'ingressclasses',
  namespaced: false,
  schemaRef: 'io.k8s.api.networking.v1.IngressClass',
  defaults(object) {
    const p = (object as unknown as IngressClass).spec?.parameters;
    if (p !== undefined) p.scope ??= 'Cluster';
  },
  validate: (object, old) =>
    validateIngressClass(object as unknown as IngressClass, old as unknown as IngressClass | undefined),
  columns: [
    nameColumn,
    column('Controller', 'string', 'Controller that is responsible for handling this class'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn,
  ],
  cells(object, now) {
    const ic = object as unknown as IngressClass;
    const p = ic.spec?.parameters;
    const parameters = p
      ? `${p.kind}${p.apiGroup !== undefined ? `.${p.apiGroup}` : ''}/${p.name}`
      : '<none>';
    return [
      ic.metadata?.name ?? '',
      ic.spec?.controller ?? '',
      parameters,
      age(ic.metadata?.creationTimestamp, now),
    ];
  },
};
