import type { TerminationReason } from './runtime.js';

/** What the runtime observed when a container's wrapper went away. */
export interface ExitEvidence {
  /** The status the wrapper wrote to the exit file, when it lived to write it. */
  exitFileCode?: number | undefined;
  /** The wrapper's own exit code, when the runtime was its parent. */
  wrapperCode?: number | undefined;
  /** True when the wrapper itself died of a signal (SIGKILL of the group). */
  wrapperSignalled?: boolean;
  /** True when stop escalated to SIGKILL. */
  killed?: boolean;
  /** True when the cgroup's OOM killer fired. */
  oomKilled?: boolean;
}

/** A terminated container's exit code, signal and reason. */
export interface ExitStatus {
  exitCode: number;
  signal?: number;
  reason: TerminationReason;
}

/**
 * Interprets how a container ended, as Kubernetes reports it: the command's status from the exit
 * file first; a wrapper killed by a signal (or by our SIGKILL) reads 137; codes 129–159 name the
 * signal (128 + n); a cgroup OOM kill reads `OOMKilled`, code 0 `Completed`, any other `Error`;
 * with no evidence at all (an adopted process that vanished) it reads 255 and `Unknown`. Pure.
 */
export function interpretExit(e: ExitEvidence): ExitStatus {
  let code = e.exitFileCode;
  if (code === undefined) {
    if (e.wrapperSignalled === true || e.killed === true) code = 137;
    else code = e.wrapperCode;
  }
  const exitCode = code ?? 255;
  const out: ExitStatus = {
    exitCode,
    reason:
      e.oomKilled === true
        ? 'OOMKilled'
        : code === undefined
          ? 'Unknown'
          : code === 0
            ? 'Completed'
            : 'Error',
  };
  if (exitCode > 128 && exitCode < 160) out.signal = exitCode - 128;
  return out;
}
