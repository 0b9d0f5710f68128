/**
 * What the cluster DNS answers for a name of the cluster domain, as CoreDNS's kubernetes plugin
 * (the DNS specification for Kubernetes, schema 1.1.0):
 * - `SVC.NS.svc.ZONE` A: the ClusterIP; headless: one A per ready endpoint; ExternalName: a CNAME.
 * - `_PORT._PROTO.SVC.NS.svc.ZONE` SRV for each named port (headless: one per ready endpoint,
 *   its target `HOSTNAME.SVC.NS.svc.ZONE` and port the endpoint's, the A in the additional
 *   section).
 * - `HOSTNAME.SVC.NS.svc.ZONE` A for a headless Service's endpoint (its hostname, or its
 *   address with dashes).
 * - `A-B-C-D.NS.pod.ZONE` A: A.B.C.D (`pods insecure`, kubeadm's Corefile: an agent may read
 *   only its own node's pods, so a pod elsewhere could not be verified).
 * A name that exists with no record of the type asked is NOERROR with no answer (NODATA), any
 * other name of the zone NXDOMAIN, both with the zone's SOA in the authority section. Pure.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { RCODE, TYPE, type ResourceRecord } from './dns-message.js';

/** The objects answers are made from: reads of the informers' caches. */
export interface DnsCatalog {
  service(namespace: string, name: string): Service | undefined;
  /** The EndpointSlices of a Service (label `kubernetes.io/service-name`). */
  slices(namespace: string, service: string): EndpointSlice[];
  /** True when some Service lives in the namespace (`NS.svc.ZONE` then exists). */
  hasNamespace(namespace: string): boolean;
}

/** An answer: rcode and sections. */
export interface ClusterAnswer {
  rcode: number;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

/** CoreDNS's default TTL for cluster records. */
export const CLUSTER_TTL = 5;

/** The zone's SOA, as CoreDNS writes it. */
export function soaRecord(zone: string): ResourceRecord {
  return {
    name: zone,
    ttl: CLUSTER_TTL,
    type: 'SOA',
    mname: `ns.dns.${zone}`,
    rname: `hostmaster.${zone}`,
    serial: Math.floor(Date.UTC(2026, 0, 1) / 1000),
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: CLUSTER_TTL,
  };
}

/** True when `name` (lowercase, no trailing dot) is the zone or below it. */
export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

interface ReadyEndpoint {
  address: string;
  host: string;
  /** The slice's ports by name: a headless Service's SRV records name the endpoint's port. */
  ports: ReadonlyMap<string, number>;
}

function readyEndpoints(catalog: DnsCatalog, ns: string, svc: string): ReadyEndpoint[] {
  const seen = new Map<string, ReadyEndpoint>();
  for (const slice of catalog.slices(ns, svc)) {
    if (slice.addressType !== 'IPv4') continue;
    const ports = new Map(
      (slice.ports ?? []).map((p) => [`${p.name ?? ''}/${p.protocol ?? 'TCP'}`, p.port ?? 0]),
    );
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      for (const address of e.addresses.slice(0, 1)) {
        if (!seen.has(address))
          seen.set(address, { address, host: e.hostname ?? address.replaceAll('.', '-'), ports });
      }
    }
  }
  return [...seen.values()].sort((a, b) => a.address.localeCompare(b.address));
}

function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

function clusterIPs(svc: Service): string[] {
  const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP === undefined ? [] : [svc.spec.clusterIP]);
  return ips.filter((ip) => ip !== 'None' && ip !== '' && !ip.includes(':'));
}

/** Answers `name` (as asked) of type `qtype` from the catalog; `zone` is e.g. `cluster.local`. */
export function lookupCluster(catalog: DnsCatalog, name: string, qtype: number, zone: string): ClusterAnswer {
  const lower = name.toLowerCase().replace(/\.$/, '');
  const found = records(catalog, lower, zone);
  const authority = [soaRecord(zone)];
  if (found === undefined) return { rcode: RCODE.NXDOMAIN, answers: [], authority, additional: [] };
  const wanted = (rr: ResourceRecord) =>
    qtype === TYPE.ANY || TYPE[rr.type] === qtype || (rr.type === 'CNAME' && qtype !== TYPE.SOA);
  const answers = found.records.filter(wanted).map((rr) => ({ ...rr, name }));
  const additional = answers.some((a) => a.type === 'SRV') ? found.additional : [];
  return { rcode: RCODE.NOERROR, answers, authority: answers.length === 0 ? authority : [], additional };
}

/** Every record of a name, undefined when the name does not exist. */
function records(
  catalog: DnsCatalog,
  name: string,
  zone: string,
): { records: ResourceRecord[]; additional: ResourceRecord[] } | undefined {
  const none = { records: [], additional: [] };
  if (name === zone) return { records: [soaRecord(zone)], additional: [] };
  if (!inZone(name, zone)) return undefined;
  const labels = name.slice(0, -zone.length - 1).split('.');
  const a = (n: string, address: string): ResourceRecord => ({
    name: n,
    ttl: CLUSTER_TTL,
    type: 'A',
    address,
  });
  const kind = labels.at(-1);
  if (kind === 'pod') {
    if (labels.length === 1) return none;
    if (labels.length !== 3) return labels.length === 2 ? none : undefined;
    const m = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/.exec(labels[0] as string);
    if (m === null || m.slice(1).some((p) => Number(p) > 255)) return undefined;
    return { records: [a(name, m.slice(1).join('.'))], additional: [] };
  }
  if (kind !== 'svc') return undefined;
  if (labels.length === 1) return none;
  const ns = labels.at(-2) as string;
  if (labels.length === 2) return catalog.hasNamespace(ns) ? none : undefined;
  const svcName = labels.at(-3) as string;
  const svc = catalog.service(ns, svcName);
  if (svc === undefined) return undefined;
  const fqdn = `${svcName}.${ns}.svc.${zone}`;
  const endpoints = isHeadless(svc) ? readyEndpoints(catalog, ns, svcName) : [];
  const targetOf = (e: ReadyEndpoint) => `${e.host}.${fqdn}`;
  if (labels.length === 3) {
    if (svc.spec?.type === 'ExternalName') {
      const target = (svc.spec.externalName ?? '').replace(/\.$/, '');
      return { records: [{ name, ttl: CLUSTER_TTL, type: 'CNAME', target }], additional: [] };
    }
    const addresses = isHeadless(svc) ? endpoints.map((e) => e.address) : clusterIPs(svc);
    const srv = srvRecords(svc, name, fqdn, endpoints, targetOf, undefined);
    return {
      records: [...addresses.map((ip) => a(name, ip)), ...srv],
      additional: endpointAs(endpoints, targetOf),
    };
  }
  if (labels.length === 4) {
    // An endpoint of a headless Service by hostname, or a `_proto` level without a port.
    const host = labels[0] as string;
    if (host.startsWith('_')) return ['_tcp', '_udp', '_sctp'].includes(host) ? none : undefined;
    const e = endpoints.filter((x) => x.host === host);
    return e.length === 0 ? undefined : { records: e.map((x) => a(name, x.address)), additional: [] };
  }
  if (labels.length === 5) {
    const [portLabel, protoLabel] = labels as [string, string];
    if (!portLabel.startsWith('_') || !protoLabel.startsWith('_')) return undefined;
    const port = { name: portLabel.slice(1), protocol: protoLabel.slice(1).toUpperCase() };
    const srv = srvRecords(svc, name, fqdn, endpoints, targetOf, port);
    return srv.length === 0 ? undefined : { records: srv, additional: endpointAs(endpoints, targetOf) };
  }
  return undefined;
}

function srvRecords(
  svc: Service,
  name: string,
  fqdn: string,
  endpoints: ReadyEndpoint[],
  targetOf: (e: ReadyEndpoint) => string,
  only: { name: string; protocol: string } | undefined,
): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  for (const p of svc.spec?.ports ?? []) {
    if (p.name === undefined || p.name === '') continue;
    if (only !== undefined && (p.name.toLowerCase() !== only.name || (p.protocol ?? 'TCP') !== only.protocol))
      continue;
    const srv = (target: string, port: number) =>
      ({ name, ttl: CLUSTER_TTL, type: 'SRV', priority: 0, weight: 100, port, target }) as const;
    const key = `${p.name}/${p.protocol ?? 'TCP'}`;
    if (isHeadless(svc)) out.push(...endpoints.map((e) => srv(targetOf(e), e.ports.get(key) ?? p.port)));
    else if (clusterIPs(svc).length > 0) out.push(srv(fqdn, p.port));
  }
  return out;
}

function endpointAs(endpoints: ReadyEndpoint[], targetOf: (e: ReadyEndpoint) => string): ResourceRecord[] {
  return endpoints.map((e) => ({ name: targetOf(e), ttl: CLUSTER_TTL, type: 'A', address: e.address }));
}
