/**
 * Container runtimes: the `Runtime` interface the agent drives, the `process` runtime, and the
 * pure helpers the agent uses to turn a Pod into runtime calls (env, volumes, ports, probes,
 * back-off).
 */
export type {
  ContainerSecurity,
  ContainerSpec,
  ContainerStats,
  ContainerStatus,
  ExecResult,
  ExecSession,
  ExecStreamOptions,
  ImageConfig,
  PodSandbox,
  UnpackedImage,
  Handler,
  LogOptions,
  PortMapping,
  ResolvedMount,
  ResourceLimits,
  Runtime,
  StopOptions,
  TerminationReason,
} from './runtime.js';
export {
  ProcessRuntime,
  podLogDir,
  type DiskFailure,
  type ProcessRuntimeOptions,
} from './process-runtime.js';
export { RuntimeSet } from './runtime-set.js';
export { RuncRuntime, runcAvailable, type RuncRuntimeOptions } from './runc/runc-runtime.js';
export { runOnce, type RunOnceOptions } from './runc/run-once.js';
export { commandAs, execAs, type ProcessIdentity } from './process-identity.js';
export { interpretExit, type ExitStatus } from './exit-status.js';
export { RuntimeError, containerConfigError, containerNotFound, startFailed } from './errors.js';
export { CrashBackoff, type BackoffOptions } from './backoff.js';
export { ProbeState, type ProbeTiming, type ProbeVerdict } from './probe-state.js';
export { runHandler, type ProbeResult, type RunHandlerOptions } from './probe.js';
export { containerLimits, resolveHandler } from './container-spec.js';
export { allocateHostPorts, mapContainerPorts, portEnv } from './host-ports.js';
export {
  expandVars,
  podFieldValue,
  resolveCommand,
  resolveEnv,
  type EnvSources,
  type PodFields,
} from './env.js';
export {
  mountEnv,
  planVolume,
  resolveMounts,
  SERVICE_ACCOUNT_MOUNT_PATH,
  type TokenSource,
  type VolumePlan,
  type VolumeSources,
} from './volume-plan.js';
export { ownFolder, podVolumesDir, removePodVolumes, writeVolume } from './volumes.js';
export { formatLogLine, parseLogLine, renderRecord, selectRecords, type LogRecord } from './cri-log.js';
export type { LogRotation } from './container-log.js';
