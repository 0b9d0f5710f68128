import type {
  EndpointAddress,
  EndpointPort,
  EndpointSubset,
  Pod,
  Service,
} from 'kubernetes-types/core/v1.js';
import { endpointHostname, podAddress, podPort, shouldPodBeInEndpoints } from './endpoint-pods.js';
import { isPodReady } from './pod-state.js';

/** Kubernetes' maximum number of addresses in one Endpoints object. */
export const MAX_ENDPOINTS_ADDRESSES = 1000;

interface Entry {
  address: EndpointAddress;
  ready: boolean;
  port: EndpointPort | undefined;
}

const addressKey = (a: EndpointAddress): string => `${a.ip}/${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort | undefined): string =>
  p === undefined ? '' : `${p.name ?? ''}/${p.port}/${p.protocol ?? ''}/${p.appProtocol ?? ''}`;

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return addressKey(a) < addressKey(b) ? -1 : addressKey(a) > addressKey(b) ? 1 : 0;
}

/** The endpoint entries of one pod: one per Service port it serves (one bare entry for a headless Service without ports). */
function podEntries(svc: Service, pod: Pod, publish: boolean): Entry[] {
  const ip = podAddress(pod);
  if (ip === undefined) return [];
  const address: EndpointAddress = {
    ip,
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      uid: pod.metadata?.uid ?? '',
    },
  };
  const hostname = endpointHostname(pod, svc);
  if (hostname !== undefined) address.hostname = hostname;
  const ready = publish || isPodReady(pod);
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return svc.spec?.clusterIP === 'None' ? [{ address, ready, port: undefined }] : [];
  const out: Entry[] = [];
  for (const sp of ports) {
    const port = podPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
    if (sp.name) ep.name = sp.name;
    if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
    out.push({ address, ready, port: ep });
  }
  return out;
}

/**
 * The subsets of a Service's Endpoints, as Kubernetes' endpoints controller computes them:
 * pods that are not finished and have an address (terminating ones only with
 * `publishNotReadyAddresses`, which also lists every address as ready), one entry per Service
 * port the pod serves, then repacked (RepackSubsets) so that ports offered by the same set of
 * addresses share a subset. A port that differs per pod (a named port, or a host port) thus
 * gives one subset per distinct port. Sorted, so equal inputs give equal output.
 */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publish = svc.spec?.publishNotReadyAddresses === true;
  const byPort = new Map<string, { port: EndpointPort | undefined; entries: Map<string, Entry> }>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publish)) continue;
    for (const e of podEntries(svc, pod, publish)) {
      const k = portKey(e.port);
      let group = byPort.get(k);
      if (group === undefined) byPort.set(k, (group = { port: e.port, entries: new Map() }));
      group.entries.set(addressKey(e.address), e);
    }
  }
  const bySet = new Map<string, { entries: Entry[]; ports: EndpointPort[] }>();
  for (const { port, entries } of byPort.values()) {
    const list = [...entries.values()].sort((a, b) => compareAddresses(a.address, b.address));
    const k = list.map((e) => `${addressKey(e.address)}:${e.ready ? 1 : 0}`).join(',');
    let set = bySet.get(k);
    if (set === undefined) bySet.set(k, (set = { entries: list, ports: [] }));
    if (port !== undefined) set.ports.push(port);
  }
  const subsets: EndpointSubset[] = [];
  for (const { entries, ports } of bySet.values()) {
    const subset: EndpointSubset = {};
    const ready = entries.filter((e) => e.ready).map((e) => e.address);
    const notReady = entries.filter((e) => !e.ready).map((e) => e.address);
    if (ready.length > 0) subset.addresses = ready;
    if (notReady.length > 0) subset.notReadyAddresses = notReady;
    if (ports.length > 0) subset.ports = ports.sort((a, b) => (portKey(a) < portKey(b) ? -1 : 1));
    subsets.push(subset);
  }
  const first = (s: EndpointSubset): string =>
    `${addressKey((s.addresses ?? s.notReadyAddresses ?? [])[0] ?? { ip: '' })}|${portKey(s.ports?.[0])}`;
  return subsets.sort((a, b) => (first(a) < first(b) ? -1 : first(a) > first(b) ? 1 : 0));
}

/**
 * Cuts subsets to at most `max` addresses as Kubernetes' truncateEndpoints: not-ready
 * addresses go first; if the ready ones alone exceed the limit, every not-ready one goes and
 * each subset keeps its share of ready ones. Returns whether anything was cut.
 */
export function truncateSubsets(subsets: EndpointSubset[], max = MAX_ENDPOINTS_ADDRESSES): boolean {
  const totalReady = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  const totalNotReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0);
  if (totalReady + totalNotReady <= max) return false;
  const cutReady = totalReady > max;
  const room = cutReady ? max : max - totalReady;
  const total = cutReady ? totalReady : totalNotReady;
  let left = room;
  for (const s of subsets) {
    const field = cutReady ? 'addresses' : 'notReadyAddresses';
    const have = s[field]?.length ?? 0;
    const keep = Math.min(Math.ceil((have / total) * room), left);
    if (s[field] !== undefined) s[field] = s[field].slice(0, keep);
    if (cutReady) delete s.notReadyAddresses;
    left -= Math.min(keep, have);
  }
  return true;
}
