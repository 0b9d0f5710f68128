import type { Service, ServiceSpec } from 'kubernetes-types/core/v1.js';

/**
 * The Service registry's field fix-ups around allocation, as kube-apiserver's service REST
 * storage and strategy make them (pure; they change the new Service in place, never the old).
 */

/** Every type but ExternalName has a cluster IP (`None` counts). */
export function needsClusterIP(spec: ServiceSpec): boolean {
  return spec.type !== 'ExternalName';
}

/** NodePort and LoadBalancer Services have node ports. */
export function needsNodePort(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

/** A LoadBalancer that opted out of node ports gets none it did not ask for. */
export function shouldAllocateNodePorts(spec: ServiceSpec): boolean {
  return (
    spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false)
  );
}

function sameList<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function sameClusterIPs(a: ServiceSpec, b: ServiceSpec): boolean {
  return (a.clusterIP ?? '') === (b.clusterIP ?? '') && sameList(a.clusterIPs, b.clusterIPs);
}

/**
 * Keeps `clusterIP` and `clusterIPs` in step (normalizeClusterIPs): a create naming only
 * `clusterIP` gets it as `clusterIPs[0]`; an update from a client that only knows `clusterIP`
 * keeps or follows the plural field.
 */
export function normalizeClusterIPs(spec: ServiceSpec, old: ServiceSpec | undefined): void {
  if (old === undefined) {
    if (spec.clusterIP && (spec.clusterIPs ?? []).length === 0) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  if ((old.clusterIPs ?? []).length > 0 && (spec.clusterIPs ?? []).length === 0) {
    if ((old.clusterIP ?? '') === (spec.clusterIP ?? '')) spec.clusterIPs = [...(old.clusterIPs ?? [])];
  }
  // Only the plural is compared here: the singular differs by definition.
  if ((old.clusterIP ?? '') !== (spec.clusterIP ?? '') && sameList(old.clusterIPs, spec.clusterIPs)) {
    if (old.clusterIP && !spec.clusterIP) delete spec.clusterIPs;
    else spec.clusterIPs = [spec.clusterIP ?? ''];
  }
}

/**
 * Puts back what the server allocated and the client left out (patchAllocatedValues), so that
 * re-submitting the YAML a Service was created from is no change: cluster IPs, node ports
 * matched by port name when not taken by another port, and the health-check node port.
 */
export function patchAllocatedValues(spec: ServiceSpec, old: ServiceSpec): void {
  if (needsClusterIP(old) && needsClusterIP(spec)) {
    if (!spec.clusterIP && old.clusterIP) spec.clusterIP = old.clusterIP;
    if ((spec.clusterIPs ?? []).length === 0 && (old.clusterIPs ?? []).length > 0) {
      spec.clusterIPs = [...(old.clusterIPs ?? [])];
    }
  }
  if (needsNodePort(old) && needsNodePort(spec)) {
    const used = (s: ServiceSpec): Set<number> =>
      new Set((s.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n));
    const newUsed = used(spec);
    const taken = new Set([...used(old)].filter((n) => newUsed.has(n)));
    const byName = new Map((old.ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
    for (const p of spec.ports ?? []) {
      const before = byName.get(p.name ?? '') ?? 0;
      if (!p.nodePort && before && !taken.has(before)) p.nodePort = before;
    }
  }
  if (needsHealthCheckPort(old) && needsHealthCheckPort(spec) && !spec.healthCheckNodePort) {
    if (old.healthCheckNodePort) spec.healthCheckNodePort = old.healthCheckNodePort;
  }
}

/** A LoadBalancer with `externalTrafficPolicy: Local` has a health-check node port. */
export function needsHealthCheckPort(spec: ServiceSpec): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/**
 * Clears what a type change leaves meaningless, when the client did not change it too
 * (dropTypeDependentFields): cluster IPs and families leaving for ExternalName, node ports
 * leaving NodePort/LoadBalancer, the health-check port, LoadBalancer-only fields, the external
 * traffic policy, and the load-balancer status of a Service that is no longer a LoadBalancer.
 */
export function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = (svc.spec ??= {});
  const before = old.spec ?? {};
  if (needsClusterIP(before) && !needsClusterIP(spec)) {
    if (sameClusterIPs(before, spec)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameList(before.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if (before.ipFamilyPolicy === spec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  const nodePorts = (s: ServiceSpec): number[] =>
    (s.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n);
  const oldPorts = new Set(nodePorts(before));
  if (needsNodePort(before) && !needsNodePort(spec) && nodePorts(spec).every((n) => oldPorts.has(n))) {
    for (const p of spec.ports ?? []) delete p.nodePort;
  }
  if (needsHealthCheckPort(before) && !needsHealthCheckPort(spec)) {
    if (before.healthCheckNodePort === spec.healthCheckNodePort) delete spec.healthCheckNodePort;
  }
  if (before.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === before.allocateLoadBalancerNodePorts) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (spec.loadBalancerClass === before.loadBalancerClass) delete spec.loadBalancerClass;
  }
  const accessible = (s: ServiceSpec): boolean =>
    s.type === 'LoadBalancer' ||
    s.type === 'NodePort' ||
    (s.type === 'ClusterIP' && (s.externalIPs ?? []).length > 0);
  if (
    accessible(before) &&
    !accessible(spec) &&
    before.externalTrafficPolicy === spec.externalTrafficPolicy
  ) {
    delete spec.externalTrafficPolicy;
  }
  if (spec.type !== 'LoadBalancer') {
    (svc as { status?: unknown }).status = { ...svc.status, loadBalancer: {} };
  }
}
