import type { Pod } from 'kubernetes-types/core/v1.js';
import { age } from './age.js';

/** The READY, STATUS and RESTARTS cells of a pod, as kubectl computes them. */
export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/**
 * Summarises a pod the way `kubectl get pods` does (kubectl's `printPod`): STATUS is the phase,
 * replaced by the pod's reason, by `Init:…` while init containers run or fail, by a container's
 * waiting or terminated reason (`CrashLoopBackOff`, `Completed`, `ExitCode:1`), and by
 * `Terminating` once deletionTimestamp is set; RESTARTS adds the time of the last restart.
 */
export function summarizePod(pod: Pod, now: number): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  let restarts = 0;
  let ready = 0;
  let lastRestart: string | undefined;
  const noteRestart = (t: string | undefined): void => {
    if (t && (!lastRestart || Date.parse(t) > Date.parse(lastRestart))) lastRestart = t;
  };
  let reason = status.reason || status.phase || '';
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }
  let initializing = false;
  const inits = status.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    restarts += c.restartCount ?? 0;
    noteRestart(c.lastState?.terminated?.finishedAt);
    const t = c.state?.terminated;
    const w = c.state?.waiting;
    if (t && t.exitCode === 0) continue;
    if (t) {
      reason = t.reason
        ? `Init:${t.reason}`
        : t.signal
          ? `Init:Signal:${t.signal}`
          : `Init:ExitCode:${t.exitCode}`;
    } else if (w?.reason && w.reason !== 'PodInitializing') {
      reason = `Init:${w.reason}`;
    } else {
      reason = `Init:${i}/${spec?.initContainers?.length ?? inits.length}`;
    }
    initializing = true;
    break;
  }
  const initialized = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = 0;
    let hasRunning = false;
    const cs = status.containerStatuses ?? [];
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i]!;
      restarts += c.restartCount ?? 0;
      noteRestart(c.lastState?.terminated?.finishedAt);
      const t = c.state?.terminated;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (t?.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }
  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !terminal) reason = 'Terminating';
  return {
    ready: `${ready}/${spec?.containers?.length ?? 0}`,
    status: reason,
    restarts: lastRestart ? `${restarts} (${age(lastRestart, now)} ago)` : String(restarts),
  };
}
