import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import { endpointHostname, podAddress, podPort, shouldPodBeInEndpoints } from './endpoint-pods.js';
import { jsonEqual } from './json-equal.js';
import { isPodReady } from './pod-state.js';

/** An EndpointSlice as the controller reads and writes it. */
export type Slice = EndpointSlice & KubeObject;

/** Kubernetes' default `--max-endpoints-per-slice`. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
/** The `endpointslice.kubernetes.io/managed-by` value of Kubernetes' controller. */
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** The endpoints one set of ports serves (slices are per set of ports: EndpointSlice ports are per slice). */
export interface PortGroup {
  ports: EndpointPort[];
  endpoints: Map<string, Endpoint>;
}

/** Kubernetes' endpoint hash: addresses, hostname and the target pod. */
export function endpointKey(e: Endpoint): string {
  return JSON.stringify([
    [...(e.addresses ?? [])].sort(),
    e.hostname ?? '',
    e.targetRef?.namespace,
    e.targetRef?.name,
  ]);
}

/** The key of a set of ports, whatever their order. */
export function portsKey(ports: readonly EndpointPort[]): string {
  return JSON.stringify(
    [...ports].map((p) => [p.name ?? '', p.port, p.protocol, p.appProtocol ?? '']).sort(),
  );
}

/**
 * The endpoints of a Service by set of ports, as Kubernetes' endpointslice reconciler computes
 * them: every pod that is not finished and has an address, terminating ones included; `ready`
 * is readiness unless terminating (or always, with `publishNotReadyAddresses`), `serving` is
 * readiness, `terminating` is a deletion in progress, so that a pod being drained stays
 * visible. A pod's ports are the Service ports it serves, resolved for it (`podPort`): pods
 * whose ports resolve alike share a group, and each group gets its own slices.
 */
export function desiredEndpoints(
  svc: Service,
  pods: readonly Pod[],
  zoneOf: (node: string) => string | undefined,
): Map<string, PortGroup> {
  const groups = new Map<string, PortGroup>();
  const publish = svc.spec?.publishNotReadyAddresses === true;
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const address = podAddress(pod);
    if (address === undefined) continue;
    const ports: EndpointPort[] = [];
    const svcPorts = svc.spec?.ports ?? [];
    if (!(svcPorts.length === 0 && svc.spec?.clusterIP === 'None')) {
      for (const sp of svcPorts) {
        const port = podPort(pod, sp);
        if (port === undefined) continue;
        const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
        if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
        ports.push(ep);
      }
    }
    const serving = isPodReady(pod);
    const terminating = pod.metadata?.deletionTimestamp !== undefined;
    const endpoint: Endpoint = {
      addresses: [address],
      conditions: { ready: publish || (serving && !terminating), serving, terminating },
      targetRef: {
        kind: 'Pod',
        namespace: pod.metadata?.namespace ?? '',
        name: pod.metadata?.name ?? '',
        uid: pod.metadata?.uid ?? '',
      },
    };
    const node = pod.spec?.nodeName;
    if (node) {
      endpoint.nodeName = node;
      const zone = zoneOf(node);
      if (zone) endpoint.zone = zone;
    }
    const hostname = endpointHostname(pod, svc);
    if (hostname !== undefined) endpoint.hostname = hostname;
    const key = portsKey(ports);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { ports, endpoints: new Map() }));
    group.endpoints.set(endpointKey(endpoint), endpoint);
  }
  return groups;
}

/**
 * Who a set of slices belongs to: a Service (the endpointslice controller) or the Endpoints a
 * user wrote for a Service without selector (the mirroring controller).
 */
export interface SliceOwner {
  /** The Service's name (`kubernetes.io/service-name`) and namespace. */
  service: string;
  namespace: string;
  /** Labels copied onto the slices (the reserved ones are set after). */
  labels: Record<string, string>;
  /** The controller owner reference of every slice. */
  ref: { apiVersion: string; kind: string; name: string; uid: string };
  managedBy: string;
  headless: boolean;
  /** One empty slice when there are no endpoints (the endpointslice controller's placeholder). */
  placeholder: boolean;
  /** The owner is being deleted: no new slices. */
  deleting: boolean;
}

/** A Service as the owner of its slices. */
export function serviceOwner(svc: Service & KubeObject): SliceOwner {
  return {
    service: svc.metadata.name ?? '',
    namespace: svc.metadata.namespace ?? '',
    labels: svc.metadata.labels ?? {},
    ref: { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '' },
    managedBy: MANAGED_BY,
    headless: !svc.spec?.clusterIP || svc.spec.clusterIP === 'None',
    placeholder: true,
    deleting: svc.metadata.deletionTimestamp !== undefined,
  };
}

/** The labels of an owner's slices: the owner's own, then the reserved ones. */
export function sliceLabels(owner: SliceOwner): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(owner.labels)) {
    if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) labels[k] = v;
  }
  if (owner.headless) labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = owner.service;
  labels[MANAGED_BY_LABEL] = owner.managedBy;
  return labels;
}

/** A new, unnamed slice of the owner (`generateName: <service>-`), controlled by it. */
export function newSlice(owner: SliceOwner, ports: EndpointPort[]): Slice {
  const prefix = `${owner.service}-`.length <= 253 ? `${owner.service}-` : owner.service;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: prefix,
      namespace: owner.namespace,
      labels: sliceLabels(owner),
      ownerReferences: [{ ...owner.ref, controller: true, blockOwnerDeletion: true }],
    },
    addressType: 'IPv4',
    ports,
    endpoints: [],
  };
}

/** What one reconcile writes. */
export interface SlicePlan {
  create: Slice[];
  update: Slice[];
  delete: Slice[];
}

/** True when the slice is this owner's (by uid), not an old owner's of the same name. */
export function ownedBy(slice: Slice, owner: SliceOwner): boolean {
  return (slice.metadata.ownerReferences ?? []).some(
    (o) => o.uid === owner.ref.uid && o.kind === owner.ref.kind && o.apiVersion === owner.ref.apiVersion,
  );
}

/**
 * Kubernetes' reconcileByPortMapping for one group: keep each wanted endpoint where it is
 * (updating it in place when it changed), drop unwanted ones (a slice left empty goes), fill
 * the slices being updated anyway, then put what is left in the unchanged slice it fits best or
 * in new slices of at most `max`. Unchanged slices are not written.
 */
function planGroup(
  owner: SliceOwner,
  existing: Slice[],
  group: PortGroup | undefined,
  max: number,
  plan: SlicePlan,
): void {
  const wanted = new Map(group?.endpoints ?? []);
  const labels = sliceLabels(owner);
  const changed: Slice[] = [];
  const unchanged: Slice[] = [];
  for (const slice of existing) {
    const kept: Endpoint[] = [];
    let updated = false;
    for (const e of slice.endpoints ?? []) {
      const k = endpointKey(e);
      const want = wanted.get(k);
      if (want === undefined) continue;
      kept.push(want);
      if (!jsonEqual(want, e)) updated = true;
      wanted.delete(k);
    }
    const labelsChanged = !jsonEqual(slice.metadata.labels ?? {}, labels);
    if (updated || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) plan.delete.push(slice);
      else changed.push({ ...slice, metadata: { ...slice.metadata, labels }, endpoints: kept });
    } else if (labelsChanged) changed.push({ ...slice, metadata: { ...slice.metadata, labels } });
    else unchanged.push(slice);
  }
  const rest = [...wanted.values()].sort((a, b) => (endpointKey(a) < endpointKey(b) ? -1 : 1));
  changed.sort((a, b) => (b.endpoints ?? []).length - (a.endpoints ?? []).length);
  for (const slice of changed) {
    while (rest.length > 0 && (slice.endpoints ?? []).length < max)
      slice.endpoints = [...(slice.endpoints ?? []), rest.shift()!];
  }
  while (rest.length > 0) {
    let target: Slice | undefined;
    if (rest.length < max) {
      let best = max;
      for (const s of unchanged) {
        const room = max - (rest.length + (s.endpoints ?? []).length);
        if (room >= 0 && room < best) [best, target] = [room, s];
      }
    }
    if (target !== undefined) {
      unchanged.splice(unchanged.indexOf(target), 1);
      target = { ...target, endpoints: [...(target.endpoints ?? [])] };
      changed.push(target);
    } else {
      target = newSlice(owner, group?.ports ?? []);
      plan.create.push(target);
    }
    while (rest.length > 0 && (target.endpoints ?? []).length < max)
      target.endpoints = [...(target.endpoints ?? []), rest.shift()!];
  }
  plan.update.push(...changed);
}

/**
 * The writes that make an owner's slices match its endpoints (Kubernetes' reconcileByAddressType
 * and finalize, IPv4 only): slices of another owner, address type or set of ports go; each
 * group of ports is planned alone; a Service with no endpoints keeps one empty placeholder
 * slice (when `owner.placeholder`); a slice that would be deleted is reused for one that would
 * be created; an owner being deleted gets no new slices.
 */
export function planSlices(
  owner: SliceOwner,
  existing: readonly Slice[],
  groups: Map<string, PortGroup>,
  max = MAX_ENDPOINTS_PER_SLICE,
): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byPorts = new Map<string, Slice[]>();
  for (const slice of existing) {
    if (!ownedBy(slice, owner) || slice.addressType !== 'IPv4') {
      plan.delete.push(slice);
      continue;
    }
    const key = portsKey(slice.ports ?? []);
    byPorts.set(key, [...(byPorts.get(key) ?? []), slice]);
  }
  for (const [key, group] of groups) planGroup(owner, byPorts.get(key) ?? [], group, max, plan);
  for (const [key, slices] of byPorts) if (!groups.has(key)) plan.delete.push(...slices);
  const empty =
    plan.delete.length === existing.length && plan.create.length === 0 && plan.update.length === 0;
  if (empty && owner.placeholder) {
    const placeholder = newSlice(owner, []);
    const only = plan.delete[0];
    const isPlaceholder =
      plan.delete.length === 1 &&
      only !== undefined &&
      ownedBy(only, owner) &&
      (only.endpoints ?? []).length === 0 &&
      (only.ports ?? []).length === 0 &&
      jsonEqual(only.metadata.labels ?? {}, placeholder.metadata.labels);
    if (isPlaceholder) plan.delete = [];
    else plan.create.push(placeholder);
  }
  while (plan.create.length > 0) {
    const reuse = plan.delete.findIndex((s) => ownedBy(s, owner) && s.addressType === 'IPv4');
    if (reuse < 0) break;
    const [old] = plan.delete.splice(reuse, 1);
    const slice = plan.create.pop()!;
    plan.update.push({ ...slice, metadata: { ...old!.metadata, labels: sliceLabels(owner) } });
  }
  if (owner.deleting) plan.create = [];
  return plan;
}
