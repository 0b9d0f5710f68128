import type { Node, Pod, Container } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../common/quantity.js';

/** The resources the scheduler accounts for; cpu in cores, the rest in bytes or counts. */
export interface Resources {
  cpu: number;
  memory: number;
  pods: number;
  ephemeralStorage: number;
}

/**
 * One node as the scheduler sees it: its object, what it can hold, what its pods request and
 * which host ports they use. Built from a snapshot and updated as the scheduler assigns pods,
 * so that one batch of decisions is consistent.
 */
export interface NodeInfo {
  node: Node;
  name: string;
  allocatable: Resources;
  requested: Resources;
  pods: Pod[];
  hostPorts: Set<string>;
}

function quantity(value: string | number | undefined): number {
  return value === undefined ? 0 : (parseQuantity(value) ?? 0);
}

function containerRequests(c: Container): Resources {
  // Kubernetes defaults a request to the limit when only the limit is set.
  const requests: Record<string, string | number> = { ...c.resources?.limits, ...c.resources?.requests };
  return {
    cpu: quantity(requests['cpu']),
    memory: quantity(requests['memory']),
    pods: 0,
    ephemeralStorage: quantity(requests['ephemeral-storage']),
  };
}

// Pods read from a cache are never mutated, so their parsed requests can be remembered.
const requestCache = new WeakMap<Pod, Resources>();
const portCache = new WeakMap<Pod, string[]>();

/** A pod's effective request: the sum of its containers, or the largest init container if larger. */
export function podRequests(pod: Pod): Resources {
  let cached = requestCache.get(pod);
  if (!cached) {
    cached = computeRequests(pod);
    requestCache.set(pod, cached);
  }
  return cached;
}

function computeRequests(pod: Pod): Resources {
  const total: Resources = { cpu: 0, memory: 0, pods: 1, ephemeralStorage: 0 };
  for (const c of pod.spec?.containers ?? []) {
    const r = containerRequests(c);
    total.cpu += r.cpu;
    total.memory += r.memory;
    total.ephemeralStorage += r.ephemeralStorage;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const r = containerRequests(c);
    total.cpu = Math.max(total.cpu, r.cpu);
    total.memory = Math.max(total.memory, r.memory);
    total.ephemeralStorage = Math.max(total.ephemeralStorage, r.ephemeralStorage);
  }
  return total;
}

/** The `protocol/port` keys of the host ports a pod asks for. */
export function podHostPorts(pod: Pod): string[] {
  let cached = portCache.get(pod);
  if (!cached) {
    cached = computeHostPorts(pod);
    portCache.set(pod, cached);
  }
  return cached;
}

function computeHostPorts(pod: Pod): string[] {
  const ports: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) ports.push(`${p.protocol ?? 'TCP'}/${p.hostPort}`);
    }
  }
  return ports;
}

/** Builds the scheduler's view of a node and the pods bound to it. */
export function nodeInfo(node: Node, pods: Pod[]): NodeInfo {
  const a = node.status?.allocatable ?? node.status?.capacity ?? {};
  const info: NodeInfo = {
    node,
    name: node.metadata?.name ?? '',
    allocatable: {
      cpu: quantity(a['cpu']),
      memory: quantity(a['memory']),
      pods: quantity(a['pods'] ?? 110),
      ephemeralStorage: quantity(a['ephemeral-storage']),
    },
    requested: { cpu: 0, memory: 0, pods: 0, ephemeralStorage: 0 },
    pods: [],
    hostPorts: new Set(),
  };
  for (const pod of pods) addPod(info, pod);
  return info;
}

/** Accounts a pod on a node (used for bound pods and for the scheduler's own assignments). */
export function addPod(info: NodeInfo, pod: Pod): void {
  const r = podRequests(pod);
  info.requested.cpu += r.cpu;
  info.requested.memory += r.memory;
  info.requested.pods += 1;
  info.requested.ephemeralStorage += r.ephemeralStorage;
  info.pods.push(pod);
  for (const port of podHostPorts(pod)) info.hostPorts.add(port);
}

/**
 * Takes a pod off a node's accounts (it finished, was deleted, or its binding failed); the pod
 * is matched by namespace and name, so a newer copy of the same pod also removes it.
 */
export function removePod(info: NodeInfo, pod: Pod): boolean {
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const i = info.pods.findIndex((p) => p.metadata?.name === name && (p.metadata?.namespace ?? '') === ns);
  if (i < 0) return false;
  const [old] = info.pods.splice(i, 1);
  const r = podRequests(old!);
  info.requested.cpu -= r.cpu;
  info.requested.memory -= r.memory;
  info.requested.pods -= 1;
  info.requested.ephemeralStorage -= r.ephemeralStorage;
  if (podHostPorts(old!).length > 0) {
    info.hostPorts = new Set(info.pods.flatMap(podHostPorts));
  }
  return true;
}
