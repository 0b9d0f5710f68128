import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { parseIPv4, parseIPv6, specialIPErrors } from '../../common/ip-address.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { duplicate, invalid, notSupported, required } from '../field-error.js';
import { isDns1123Label, isDns1123Subdomain, isQualifiedName } from '../names.js';
import { validateLabels } from '../object-meta.js';
import { ageColumn, column, nameColumn } from '../table.js';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;

const tooMany = (field: string, n: number, max: number): FieldError => ({
  reason: 'FieldValueTooMany',
  field,
  message: `Too many: ${n}: must have at most ${max} items`,
});

function addressErrors(type: string | undefined, address: string): string[] {
  switch (type) {
    case 'IPv4':
      return parseIPv4(address) === undefined ? ['must be a valid IPv4 address'] : specialIPErrors(address);
    case 'IPv6':
      return parseIPv6(address) === undefined ? ['must be a valid IPv6 address'] : specialIPErrors(address);
    case 'FQDN':
      return isDns1123Subdomain(address);
    default:
      return [];
  }
}

function validateEndpoint(e: Endpoint, path: string, type: string | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const addresses = e.addresses ?? [];
  if (addresses.length === 0) errs.push(required(`${path}.addresses`, 'must contain at least 1 address'));
  else if (addresses.length > MAX_ADDRESSES)
    errs.push(tooMany(`${path}.addresses`, addresses.length, MAX_ADDRESSES));
  addresses.forEach((a, i) => {
    for (const m of addressErrors(type, a)) errs.push(invalid(`${path}.addresses[${i}]`, a, m));
  });
  if (e.nodeName !== undefined) {
    for (const m of isDns1123Subdomain(e.nodeName)) errs.push(invalid(`${path}.nodeName`, e.nodeName, m));
  }
  if (e.zone !== undefined) {
    errs.push(...validateLabels({ 'topology.kubernetes.io/zone': e.zone }, `${path}.zone`));
  }
  if (e.hostname !== undefined) {
    for (const m of isDns1123Label(e.hostname)) errs.push(invalid(`${path}.hostname`, e.hostname, m));
  }
  if (e.deprecatedTopology !== undefined) {
    errs.push(...validateLabels(e.deprecatedTopology, `${path}.deprecatedTopology`));
  }
  return errs;
}

function validatePorts(ports: EndpointPort[]): FieldError[] {
  if (ports.length > MAX_PORTS) return [tooMany('ports', ports.length, MAX_PORTS)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const path = `ports[${i}]`;
    const name = p.name ?? '';
    if (name !== '') for (const m of isDns1123Label(name)) errs.push(invalid(`${path}.name`, name, m));
    if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
    names.add(name);
    if (!p.protocol) errs.push(required(`${path}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol))
      errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
    if (p.port !== undefined && (p.port < 1 || p.port > 65535)) {
      errs.push(invalid(`${path}.port`, p.port, 'must be between 1 and 65535, inclusive'));
    }
    if (p.appProtocol !== undefined) {
      for (const m of isQualifiedName(p.appProtocol))
        errs.push(invalid(`${path}.appProtocol`, p.appProtocol, m));
    }
  });
  return errs;
}

/** kubectl's `listWithMoreString`: up to three items, then ` + N more...`; `<unset>` when none. */
function listWithMore(items: string[]): string {
  const shown = items.slice(0, 3).join(',');
  if (items.length > 3) return `${shown} + ${items.length - 3} more...`;
  return shown === '' ? '<unset>' : shown;
}

/**
 * discovery.k8s.io/v1 EndpointSlice, validated as Kubernetes' ValidateEndpointSlice (address
 * type immutable; at most 1000 endpoints of 1 to 100 addresses of that type; ports named as DNS
 * labels, unique, with a protocol), except that loopback addresses are allowed: with the
 * `process` runtime an endpoint is a node's address, and nodes of a one-machine cloud have
 * loopback ones. Ports default to protocol TCP and name "". Table as kubectl's: NAME
 * ADDRESSTYPE PORTS ENDPOINTS AGE.
 */
export const endpointSliceKind: KindDefinition = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  namespaced: true,
  schemaRef: 'io.k8s.api.discovery.v1.EndpointSlice',
  defaults(object) {
    for (const p of (object as unknown as EndpointSlice).ports ?? []) {
      p.name ??= '';
      p.protocol ??= 'TCP';
    }
  },
  validate(object, old) {
    const slice = object as unknown as EndpointSlice;
    const errs: FieldError[] = [];
    const type = slice.addressType;
    if (!type) errs.push(required('addressType'));
    else if (!ADDRESS_TYPES.includes(type)) errs.push(notSupported('addressType', type, ADDRESS_TYPES));
    const before = old as unknown as EndpointSlice | undefined;
    if (before !== undefined && before.addressType !== type) {
      errs.push(invalid('addressType', type ?? '', 'field is immutable'));
    }
    const endpoints = slice.endpoints ?? [];
    if (endpoints.length > MAX_ENDPOINTS) errs.push(tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
    else endpoints.forEach((e, i) => errs.push(...validateEndpoint(e, `endpoints[${i}]`, type)));
    errs.push(...validatePorts(slice.ports ?? []));
    return errs;
  },
  columns: [
    nameColumn,
    column(
      'AddressType',
      'string',
      'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.',
    ),
    column(
      'Ports',
      'string',
      'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.',
    ),
    column(
      'Endpoints',
      'string',
      'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.',
    ),
    ageColumn,
  ],
  cells(object, now) {
    const slice = object as unknown as EndpointSlice;
    const ports = (slice.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : (p.name ?? '*')));
    const addresses = (slice.endpoints ?? []).flatMap((e) => e.addresses ?? []);
    return [
      slice.metadata?.name ?? '',
      slice.addressType ?? '',
      listWithMore(ports),
      listWithMore(addresses),
      age(slice.metadata?.creationTimestamp, now),
    ];
  },
};
