import type { Readable, Writable } from 'node:stream';
import type { ProcessIdentity } from './process-identity.js';

/**
 * A container port with the host port the runtime gives it. The `process` runtime passes
 * `hostPort` to the process as `PORT` (first port) and `PORT_<NAME>` (named ports); runtimes with
 * their own network namespace (`runc`, `vm`) forward `hostPort` to `containerPort`.
 */
export interface PortMapping {
  name?: string;
  containerPort: number;
  hostPort: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

/** A volume mount already materialized on the host: `hostPath` appears at `mountPath`. */
export interface ResolvedMount {
  name: string;
  mountPath: string;
  hostPath: string;
  readOnly?: boolean;
  subPath?: string;
}

/**
 * A container's resource limits as plain numbers: bytes of memory and cores of CPU (`0.5` is half
 * a core). Enforced with cgroups where the runtime can, reported otherwise.
 */
export interface ResourceLimits {
  memoryBytes?: number;
  cpuCores?: number;
  /** Most processes (threads included) the container may have; `runc` enforces it with the pids cgroup. */
  pids?: number;
}

/**
 * A container's `securityContext`, merged over its pod's as Kubernetes merges them (the
 * container's field wins). Runtimes that cannot honour a setting refuse the container.
 */
export interface ContainerSecurity {
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  /** False sets `no_new_privs`; absent or true leaves it off, as Kubernetes does. */
  allowPrivilegeEscalation?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  supplementalGroups?: number[];
  capabilities?: { add?: string[]; drop?: string[] };
  /**
   * The seccomp profile; absent: `RuntimeDefault` on runtimes that filter syscalls (`runc`), as
   * kubelet's `--seccomp-default` does.
   */
  seccompProfile?: { type: string; localhostProfile?: string };
}

/**
 * Everything a runtime needs to start one container, with every value already resolved by the
 * agent: env expanded, ConfigMap/Secret references looked up, ports allocated, volumes written.
 * The runtime never reads the API. `attempt` is the restart count (0 for the first start); it
 * names the log file so `previous` logs survive a restart.
 */
export interface ContainerSpec {
  podUid: string;
  podNamespace: string;
  podName: string;
  containerName: string;
  attempt: number;
  /** The image reference; the `process` runtime keeps it for display and does not pull it. */
  image?: string;
  /** Command and args joined, `$(VAR)` references already expanded. */
  command: string[];
  /**
   * The container's `command` and `args` apart (expanded), for runtimes that combine them with an
   * image's Entrypoint and Cmd as Kubernetes does; absent: `command` is the whole command line.
   */
  commandParts?: { command?: string[]; args?: string[] };
  env: Record<string, string>;
  workingDir?: string;
  ports?: PortMapping[];
  mounts?: ResolvedMount[];
  limits?: ResourceLimits;
  /** Where the container's log files go; defaults to `<dataDir>/logs/<ns>_<pod>_<uid>/<container>`. */
  logDir?: string;
  /** Free-form labels kept with the container so the agent can find it after a restart. */
  labels?: Record<string, string>;
  /** Who the processes run as (the `process` runtime as root); absent: the agent's own user. */
  identity?: ProcessIdentity;
  /** The image, pulled and unpacked by the agent, for runtimes that build a root filesystem (`runc`). */
  unpackedImage?: UnpackedImage;
  /** The pod's network sandbox, set up by the agent, for runtimes with their own namespaces (`runc`). */
  sandbox?: PodSandbox;
  /** The resolved securityContext; absent: every default. */
  security?: ContainerSecurity;
  /** The pod's `runtimeClassName` (the runtime handler); absent: the node's default runtime. */
  runtimeClassName?: string;
  /**
   * The container reads a stdin that `attach` writes to (`stdin: true`); with `stdinOnce` it
   * sees end-of-file when the first attach closes its stdin, otherwise never.
   */
  stdin?: { once: boolean };
}

/**
 * The parts of an OCI image config (`config` of application/vnd.oci.image.config.v1+json) a
 * runtime uses, with the OCI field names.
 */
export interface ImageConfig {
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
}

/**
 * An image present on this node: its config and its layers unpacked once per digest, lowest
 * first (the overlayfs lower directories, shared by every container of the image).
 */
export interface UnpackedImage {
  /** The reference the pod named, normalized (`docker.io/library/busybox:latest`). */
  reference: string;
  /** The manifest digest, `sha256:…`. */
  digest: string;
  config: ImageConfig;
  layerDirs: string[];
}

/**
 * A pod's network sandbox: a network namespace with the pod's address, shared by all its
 * containers, and the files Kubernetes writes for it.
 */
export interface PodSandbox {
  /** The network namespace to join, e.g. `/run/netns/stratus-<pod uid>`. */
  netnsPath: string;
  podIP: string;
  hostname: string;
  /** Host files bind-mounted at `/etc/hosts` and `/etc/resolv.conf`. */
  hostsFile: string;
  resolvConfFile: string;
}

/** Kubernetes' terminated reasons, plus `Unknown` when an adopted process vanished without a trace. */
export type TerminationReason = 'Completed' | 'Error' | 'OOMKilled' | 'Unknown';

/** What a runtime knows about one container, shaped after Kubernetes' ContainerStatus state. */
export interface ContainerStatus {
  id: string;
  spec: ContainerSpec;
  state: 'running' | 'exited';
  pid?: number;
  /** RFC 3339 times. */
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  /** The signal that ended the main process, when it was killed by one. */
  signal?: number;
  reason?: TerminationReason;
  /** True when the runtime limits resources with cgroups; false when limits are only reported. */
  limitsEnforced: boolean;
}

/** A lifecycle hook (preStop) or probe handler with resolved values. */
export type Handler =
  | { exec: { command: string[] } }
  | {
      httpGet: {
        port: number;
        path?: string;
        host?: string;
        scheme?: 'HTTP' | 'HTTPS';
        headers?: { name: string; value: string }[];
      };
    }
  | { tcpSocket: { port: number; host?: string } }
  | { sleep: { seconds: number } };

/** Options of `Runtime.stop`. */
export interface StopOptions {
  /** Seconds between SIGTERM and SIGKILL, preStop included; default 30 as in Kubernetes. */
  gracePeriodSeconds?: number;
  /** Run before SIGTERM; its time counts against the grace period. */
  preStop?: Handler;
}

/** Options of `Runtime.logs`, mirroring `GET pods/{name}/log`. */
export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** Only lines at or after this RFC 3339 time. */
  sinceTime?: string;
  timestamps?: boolean;
  /** Stop after this many bytes (`limitBytes`); a follow stream ends there too. */
  limitBytes?: number;
  /** The logs of the previous attempt (`attempt - 1`) of the same pod container instead of this one. */
  previous?: boolean;
  /** Ends a follow stream early (the HTTP request went away). */
  signal?: AbortSignal;
}

/** The result of `Runtime.exec`. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Options of `Runtime.execStream`. */
export interface ExecStreamOptions {
  /** Run under a pseudo-terminal: one output stream (stdout), `resize` works. */
  tty: boolean;
  /** Keep the command's stdin open for the caller; otherwise it reads /dev/null. */
  stdin: boolean;
  /** Aborting kills the command's whole process group. */
  signal?: AbortSignal;
}

/**
 * A command started by `Runtime.execStream` (`kubectl exec`): its streams and its exit. With a
 * tty, stderr is null (the terminal merges both) and `resize` sets the terminal's size.
 */
export interface ExecSession {
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable | null;
  /** Sets the terminal's window size (columns, rows); ignored without a tty. */
  resize(cols: number, rows: number): void;
  /** The exit code once the command and its output are done (128 + n when killed by signal n). */
  exited: Promise<number>;
}

/** Resource usage of a container; `limitsEnforced` says whether the limits are enforced or advisory. */
export interface ContainerStats {
  cpuSeconds: number;
  memoryBytes: number;
  limits: ResourceLimits;
  limitsEnforced: boolean;
}

/**
 * A container runtime driver: `process`, later `runc` and `vm`. It works at the container level;
 * the agent sequences init containers, applies the restart policy, schedules probes and writes
 * Pod status. Containers outlive the runtime object: `close()` stops watching them, and a new
 * runtime opened on the same data directory adopts them (`list()`), so an agent restart starts no
 * duplicates. All methods are idempotent where Kubernetes needs them to be (stop of an exited
 * container succeeds).
 */
export interface Runtime {
  /** The RuntimeClass handler name (`process`, `runc`, `vm`). */
  readonly name: string;
  /**
   * True for runtimes that run a container from its image's layers (`runc`): the agent pulls the
   * pod's images first and sets `ContainerSpec.unpackedImage`. Absent: images are display only.
   */
  readonly usesImages?: boolean;
  /**
   * True when the runtime's containers join a network sandbox the agent makes (`runc`): the
   * agent then sets `ContainerSpec.sandbox` and reports the pod's own address.
   */
  readonly needsSandbox?: boolean;
  /** Starts the container and resolves with its id once the process runs. */
  start(spec: ContainerSpec): Promise<string>;
  /** Runs preStop, SIGTERM, waits the grace period, SIGKILLs everything left; resolves on exit. */
  stop(id: string, options?: StopOptions): Promise<ContainerStatus>;
  status(id: string): Promise<ContainerStatus>;
  /** Resolves when the container has exited (its log complete): the agent's exit notification. */
  wait(id: string): Promise<ContainerStatus>;
  /** Every container the runtime knows, running or exited, including those adopted from disk. */
  list(): Promise<ContainerStatus[]>;
  logs(id: string, options?: LogOptions): Promise<Readable>;
  stats(id: string): Promise<ContainerStats>;
  /** The stats of several containers in one pass (unknown ids left out), where cheaper than `stats` each. */
  statsMany?(ids: readonly string[]): Promise<Map<string, ContainerStats>>;
  /** Runs a command in the container's context (exec probes, `kubectl exec` later). */
  exec(id: string, command: string[], options?: { timeoutSeconds?: number }): Promise<ExecResult>;
  /**
   * Starts a command in the container's context with its streams open (`kubectl exec`, `cp`).
   * Optional: a runtime without it answers exec requests with an error. The `runc` runtime
   * implements it with `runc exec` (`--tty` under util-linux `script`).
   */
  execStream?(id: string, command: string[], options: ExecStreamOptions): Promise<ExecSession>;
  /**
   * A writer into the container's own stdin (`kubectl attach -i`), or null when its spec did not
   * ask for `stdin: true` or it is gone. Several writers may be open at once; ending one closes
   * only it, except the first one of a `stdinOnce` container, whose end is the container's EOF.
   */
  attach?(id: string): Promise<Writable | null>;
  /** Forgets an exited container: its record and cgroup; its log files stay until the pod goes. */
  remove(id: string): Promise<void>;
  /** Stops watching; containers keep running. */
  close(): Promise<void>;
}
