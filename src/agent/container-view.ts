import type { Container, ContainerState } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus as RtStatus } from '../runtime/index.js';
import type { ContainerSlot } from './container-slot.js';
import type { ContainerView } from './pod-status.js';

/**
 * One container's ContainerView from its slot: waiting (ContainerCreating, PodInitializing, or the
 * slot's reason such as CrashLoopBackOff) with the last termination, running, or terminated.
 * `created` is false while init containers still run (app containers wait in PodInitializing).
 */
export function containerView(
  c: Container,
  slot: ContainerSlot | undefined,
  options: { init: boolean; created: boolean; runtime: string },
): ContainerView {
  const { init } = options;
  const initialized = options.created;
  const base = {
    name: c.name,
    image: c.image ?? '',
    restartCount: slot?.restartCount ?? 0,
    ...(slot?.imageID === undefined ? {} : { imageID: slot.imageID }),
  };
  if (slot === undefined || slot.status === undefined) {
    const waiting = slot?.waiting ?? {
      reason: init || initialized ? 'ContainerCreating' : 'PodInitializing',
    };
    return { ...base, state: { waiting }, ready: false, started: false };
  }
  const st = slot.status;
  const out: ContainerView = {
    ...base,
    state: {},
    ready: false,
    containerID: `${options.runtime}://${st.id}`,
  };
  if (slot.last !== undefined) out.lastState = terminatedState(slot.last);
  if (st.state === 'running') {
    out.state = { running: { startedAt: st.startedAt.replace(/\.\d+Z$/, 'Z') } };
    out.started = slot.startupPassed;
    out.ready = !init && slot.isReady();
  } else if (slot.waiting !== undefined) {
    out.state = { waiting: slot.waiting };
    out.lastState = terminatedState(st);
    out.started = false;
  } else {
    out.state = terminatedState(st);
    out.started = false;
  }
  return out;
}

/** A runtime container that exited, as Kubernetes' `state.terminated`. */
export function terminatedState(st: RtStatus): ContainerState {
  const t: NonNullable<ContainerState['terminated']> = {
    exitCode: st.exitCode ?? (st.signal !== undefined ? 128 + st.signal : 0),
    reason: st.reason ?? (st.exitCode === 0 ? 'Completed' : 'Error'),
    startedAt: st.startedAt.replace(/\.\d+Z$/, 'Z'),
    finishedAt: (st.finishedAt ?? st.startedAt).replace(/\.\d+Z$/, 'Z'),
    containerID: `process://${st.id}`,
  };
  if (st.signal !== undefined) t.signal = st.signal;
  return { terminated: t };
}

/** A duration as Go prints it (`200ms`, `10s`, `1.6s`, `5m0s`), for kubelet's back-off message. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = String(Number(((ms % 60_000) / 1000).toFixed(3)));
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}
