import type {
  ContainerState,
  ContainerStatus,
  Pod,
  PodCondition,
  PodStatus,
} from 'kubernetes-types/core/v1.js';

/** What the agent knows about one container of a pod, in Kubernetes' ContainerStatus terms. */
export interface ContainerView {
  name: string;
  image: string;
  /** `repo@sha256:…` once pulled for a runtime that uses images; empty otherwise. */
  imageID?: string;
  state: ContainerState;
  lastState?: ContainerState;
  restartCount: number;
  ready: boolean;
  started?: boolean;
  containerID?: string;
}

/** The inputs of `buildPodStatus`: the per-container views and the pod-level facts. */
export interface PodView {
  init: ContainerView[];
  containers: ContainerView[];
  /** Every init container completed with exit code 0. */
  initialized: boolean;
  hostIP: string;
  /** The pod's own address (a network sandbox's); default the node's. */
  podIP?: string;
  startTime: string;
  /** Set when the pod failed as a whole (an init container failed with restartPolicy Never). */
  failed?: { reason?: string; message?: string };
  /** Set when the pod cannot start at all yet (unknown runtime class …): phase Pending with this message. */
  pendingMessage?: { reason: string; message: string };
}

const terminatedCode = (v: ContainerView): number | undefined => v.state.terminated?.exitCode;

/**
 * The pod phase from its containers, as kubelet's getPhase decides it: Pending until every
 * container was created, Running while one runs or will restart, Succeeded when all exited 0 and
 * none restarts, Failed when all exited and one failed and none restarts.
 */
export function podPhase(restartPolicy: string, view: PodView): string {
  if (view.failed !== undefined) return 'Failed';
  if (!view.initialized) return 'Pending';
  let running = 0;
  let waiting = 0;
  let succeeded = 0;
  let failed = 0;
  for (const c of view.containers) {
    if (c.state.running !== undefined) running++;
    else if (c.state.terminated !== undefined) {
      if (terminatedCode(c) === 0) succeeded++;
      else failed++;
    } else if (c.state.waiting !== undefined && c.lastState?.terminated !== undefined) running++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (restartPolicy === 'Always') return 'Running';
  if (failed > 0) return restartPolicy === 'Never' ? 'Failed' : 'Running';
  return succeeded > 0 ? 'Succeeded' : 'Pending';
}

function condition(
  type: string,
  ok: boolean,
  previous: readonly PodCondition[],
  now: string,
  reason?: string,
): PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = previous.find((c) => c.type === type);
  const out: PodCondition = {
    type,
    status,
    lastProbeTime: null as unknown as string,
    lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
  };
  if (!ok && reason !== undefined) out.reason = reason;
  return out;
}

function toStatus(v: ContainerView): ContainerStatus {
  const s: ContainerStatus = {
    name: v.name,
    image: v.image,
    imageID: v.imageID ?? '',
    state: v.state,
    lastState: v.lastState ?? {},
    ready: v.ready,
    restartCount: v.restartCount,
    started: v.started ?? v.state.running !== undefined,
  };
  if (v.containerID !== undefined) s.containerID = v.containerID;
  return s;
}

/**
 * The pod's whole `status` from what the agent observed: phase, the four conditions
 * (PodScheduled, Initialized, ContainersReady, Ready) keeping their transition times while
 * unchanged, containerStatuses and initContainerStatuses. Pure, so the wording is tested with
 * plain values.
 */
export function buildPodStatus(pod: Pod, view: PodView, now: string): PodStatus {
  const previous = pod.status?.conditions ?? [];
  const phase = podPhase(pod.spec?.restartPolicy ?? 'Always', view);
  const allReady = view.containers.length > 0 && view.containers.every((c) => c.ready);
  const notReady = view.containers.filter((c) => !c.ready).map((c) => c.name);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const readyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const conditions = [
    condition('PodReadyToStartContainers', true, previous, now),
    condition('Initialized', view.initialized || terminal, previous, now, 'ContainersNotInitialized'),
    condition('Ready', allReady && !terminal, previous, now, readyReason),
    condition('ContainersReady', allReady && !terminal, previous, now, readyReason),
    condition('PodScheduled', true, previous, now),
  ];
  if (!(allReady && !terminal)) {
    const msg = `containers with unready status: [${notReady.join(' ')}]`;
    for (const c of conditions) {
      if ((c.type === 'Ready' || c.type === 'ContainersReady') && !terminal) c.message = msg;
    }
  }
  const status: PodStatus = {
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    podIP: view.podIP ?? view.hostIP,
    podIPs: [{ ip: view.podIP ?? view.hostIP }],
    startTime: view.startTime,
    qosClass: pod.status?.qosClass ?? 'BestEffort',
    containerStatuses: view.containers.map(toStatus),
  };
  if (view.init.length > 0) status.initContainerStatuses = view.init.map(toStatus);
  if (view.failed?.reason !== undefined) status.reason = view.failed.reason;
  if (view.failed?.message !== undefined) status.message = view.failed.message;
  if (view.pendingMessage !== undefined) {
    status.reason = view.pendingMessage.reason;
    status.message = view.pendingMessage.message;
  }
  return status;
}
