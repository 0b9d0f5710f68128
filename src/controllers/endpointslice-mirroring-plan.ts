import type { Endpoints, EndpointAddress, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.js';
import { ipFamilyOf } from '../common/ip-address.js';
import type { KubeObject } from '../common/kube-object.js';
import { endpointKey, portsKey, type PortGroup, type SliceOwner } from './endpointslice-plan.js';

/** The `endpointslice.kubernetes.io/managed-by` value of Kubernetes' mirroring controller. */
export const MIRROR_MANAGED_BY = 'endpointslicemirroring-controller.k8s.io';
/** An Endpoints object with this label set to "true" is not mirrored. */
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
/** Kubernetes' `--mirroring-max-endpoints-per-subset`: addresses mirrored per subset at most. */
export const MAX_MIRRORED_PER_SUBSET = 1000;

/**
 * Whether an Endpoints object is mirrored, as Kubernetes decides: its Service exists and has
 * no selector (a selector's endpoints are the endpointslice controller's), and the Endpoints
 * is not labelled to skip.
 */
export function shouldMirror(endpoints: Endpoints | undefined, svc: Service | undefined): boolean {
  return (
    endpoints !== undefined &&
    svc !== undefined &&
    svc.spec?.selector === undefined &&
    endpoints.metadata?.labels?.[SKIP_MIRROR_LABEL] !== 'true'
  );
}

/** The user's Endpoints as the owner of its mirrored slices (their Service's name and labels). */
export function mirrorOwner(endpoints: Endpoints & KubeObject, svc: Service): SliceOwner {
  const labels = { ...(endpoints.metadata.labels ?? {}) };
  delete labels[SKIP_MIRROR_LABEL];
  delete labels['kubernetes.io/service-name'];
  return {
    service: endpoints.metadata.name ?? '',
    namespace: endpoints.metadata.namespace ?? '',
    labels,
    ref: {
      apiVersion: 'v1',
      kind: 'Endpoints',
      name: endpoints.metadata.name ?? '',
      uid: endpoints.metadata.uid ?? '',
    },
    managedBy: MIRROR_MANAGED_BY,
    headless: !svc.spec?.clusterIP || svc.spec.clusterIP === 'None',
    placeholder: false,
    deleting: endpoints.metadata.deletionTimestamp !== undefined,
  };
}

function endpointOf(a: EndpointAddress, ready: boolean): Endpoint {
  const e: Endpoint = { addresses: [a.ip], conditions: { ready, serving: ready, terminating: false } };
  if (a.hostname) e.hostname = a.hostname;
  if (a.nodeName) e.nodeName = a.nodeName;
  if (a.targetRef) e.targetRef = a.targetRef;
  return e;
}

/**
 * The endpoints of the user's Endpoints by set of ports, as the mirroring controller reads them:
 * each subset's IPv4 `addresses` ready, `notReadyAddresses` not, at most
 * MAX_MIRRORED_PER_SUBSET per subset; addresses that are not IPv4 are left out (Stratus' slices
 * are IPv4). Returns the groups and how many addresses were left out.
 */
export function mirroredEndpoints(endpoints: Endpoints): { groups: Map<string, PortGroup>; skipped: number } {
  const groups = new Map<string, PortGroup>();
  let skipped = 0;
  for (const subset of endpoints.subsets ?? []) {
    const ports: EndpointPort[] = (subset.ports ?? []).map((p) => ({
      name: p.name ?? '',
      port: p.port,
      protocol: p.protocol ?? 'TCP',
      ...(p.appProtocol === undefined ? {} : { appProtocol: p.appProtocol }),
    }));
    const key = portsKey(ports);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { ports, endpoints: new Map() }));
    const all = [
      ...(subset.addresses ?? []).map((a) => endpointOf(a, true)),
      ...(subset.notReadyAddresses ?? []).map((a) => endpointOf(a, false)),
    ];
    let taken = 0;
    for (const e of all) {
      const ip = e.addresses[0] ?? '';
      if (ipFamilyOf(ip) !== 'IPv4' || taken >= MAX_MIRRORED_PER_SUBSET) {
        skipped++;
        continue;
      }
      taken++;
      group.endpoints.set(endpointKey(e), e);
    }
  }
  return { groups, skipped };
}
