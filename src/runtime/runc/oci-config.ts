import { containerConfigError, startFailed } from '../errors.js';
import type { ContainerSpec, ImageConfig } from '../runtime.js';
import { containerCapabilities } from './capabilities.js';
import type { ResolvedUser } from './image-user.js';
import type { PodNamespaces } from './pod-namespaces.js';
import { defaultSeccompProfile, type OciSeccomp } from './seccomp-profile.js';

/** Where the init (Debian's static tini, as Docker's `--init`) appears inside every container. */
export const INIT_PATH = '/run/stratus-init';

/** Docker's PATH for images that set none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The paths runc and containerd mask (bind /dev/null or an empty tmpfs over) unless privileged. */
export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** The paths runc and containerd make read-only unless privileged. */
export const READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/** An OCI runtime-spec mount. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** The cgroup limits of an OCI config that the runtime sets. */
export interface OciResources {
  devices: { allow: boolean; access: string }[];
  memory?: { limit: number };
  cpu?: { shares: number; quota: number; period: number };
  pids?: { limit: number };
}

/** The parts of an OCI runtime-spec `config.json` (1.0) this runtime writes. */
export interface OciConfig {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: OciResources;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    seccomp?: OciSeccomp;
  };
}

/** What the runtime adds to a container's spec to make its `config.json`. */
export interface OciConfigOptions {
  /** The container's cgroup, e.g. `/stratus-runc/<id>`. */
  cgroupsPath: string;
  /**
   * The user resolved against the image's passwd and group files: `runAsUser` when set, else the
   * image's `User` (see `userToResolve`).
   */
  imageUser: ResolvedUser;
  /** The host file of the static init, bind-mounted read-only at `INIT_PATH`. */
  initBinary: string;
  /** Env the runtime adds under the spec's own (`PORT` on the host network). */
  extraEnv?: Record<string, string>;
  /** Host files for `/etc/hosts` and `/etc/resolv.conf` when the container has no sandbox. */
  hostFiles?: { hosts: string; resolvConf: string };
  /** RLIMIT_NOFILE of the container (soft = hard); default 1048576 as containerd, which needs CAP_SYS_RESOURCE. */
  nofile?: number;
  /** The capabilities the runtime itself may grant (its bounding set); default every one. */
  grantable?: readonly string[];
  /** The pids limit when the spec sets none; default none. */
  defaultPidsLimit?: number;
  /** Node's `process.arch` of the host, for the seccomp profile's architectures; default `x64`. */
  arch?: string;
  /** The pod's IPC and UTS namespaces and `/dev/shm` to join; default the container's own. */
  podNamespaces?: PodNamespaces;
}

/** The argv of a container, as Kubernetes combines command and args with the image's. Pure. */
export function containerArgv(spec: ContainerSpec, image: ImageConfig): string[] {
  const entrypoint = image.Entrypoint ?? [];
  const cmd = image.Cmd ?? [];
  const parts = spec.commandParts;
  let argv: string[];
  if (parts === undefined) argv = spec.command.length > 0 ? spec.command : [...entrypoint, ...cmd];
  else if (parts.command !== undefined && parts.command.length > 0)
    argv = [...parts.command, ...(parts.args ?? [])];
  else if (parts.args !== undefined && parts.args.length > 0) argv = [...entrypoint, ...parts.args];
  else argv = [...entrypoint, ...cmd];
  if (argv.length === 0 || argv[0] === '')
    throw startFailed(
      `container "${spec.containerName}" has no command: neither the pod nor the image (${spec.image ?? 'none'}) names one`,
    );
  return argv;
}

/** The user to look up in the image's passwd file: `runAsUser` over the image's `User`. Pure. */
export function userToResolve(spec: ContainerSpec): string | undefined {
  const runAs = spec.security?.runAsUser;
  return runAs !== undefined ? String(runAs) : spec.unpackedImage?.config.User;
}

/** The pod's hostname: its sandbox's (`spec.hostname` or the pod's name), else the pod's name. Pure. */
export function podHostname(spec: ContainerSpec): string {
  return spec.sandbox?.hostname ?? spec.podName;
}

/**
 * True when the container gets the `RuntimeDefault` seccomp profile: asked for, or no profile
 * named (kubelet's `--seccomp-default`); never when privileged (as Docker and containerd), nor
 * `Unconfined`. `Localhost` profiles are refused: this node keeps no profile files. Pure.
 */
export function wantsSeccomp(spec: ContainerSpec): boolean {
  const sec = spec.security ?? {};
  const type = sec.seccompProfile?.type ?? 'RuntimeDefault';
  if (type === 'Localhost')
    throw containerConfigError(
      `container "${spec.containerName}" asks for seccompProfile type Localhost (${sec.seccompProfile?.localhostProfile ?? 'no localhostProfile'}), which this node does not support: use RuntimeDefault or Unconfined`,
    );
  if (type !== 'RuntimeDefault' && type !== 'Unconfined')
    throw containerConfigError(
      `container "${spec.containerName}" has an unknown seccompProfile type "${type}": use RuntimeDefault or Unconfined`,
    );
  return type === 'RuntimeDefault' && sec.privileged !== true;
}

/** `namespace/name(uid)` as kubelet prints a pod in messages: `name_namespace(uid)`. */
function podLabel(spec: ContainerSpec): string {
  return `${spec.podName}_${spec.podNamespace}(${spec.podUid})`;
}

/**
 * Refuses to run a container whose `runAsNonRoot` cannot be honoured, with kubelet's messages:
 * a `runAsUser` of 0, or no `runAsUser` and an image user that is root or a name (which cannot be
 * verified without trusting the image's passwd file). Pure.
 */
export function checkRunAsNonRoot(spec: ContainerSpec, imageUser: string | undefined): void {
  const sec = spec.security ?? {};
  if (sec.runAsNonRoot !== true) return;
  const pod = podLabel(spec);
  if (sec.runAsUser !== undefined) {
    if (sec.runAsUser === 0)
      throw containerConfigError(
        `container's runAsUser breaks non-root policy (pod: "${pod}", container: ${spec.containerName})`,
      );
    return;
  }
  const user = (imageUser ?? '').split(':')[0] ?? '';
  if (user !== '' && !/^\d+$/.test(user))
    throw containerConfigError(
      `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root (pod: "${pod}", container: ${spec.containerName})`,
    );
  if (user === '' || Number(user) === 0)
    throw containerConfigError(
      `container has runAsNonRoot and image will run as root (pod: "${pod}", container: ${spec.containerName})`,
    );
}

function envList(
  defaults: Record<string, string>,
  image: readonly string[],
  over: Record<string, string>,
): string[] {
  const merged = new Map<string, string>(Object.entries(defaults));
  for (const kv of image) {
    const eq = kv.indexOf('=');
    if (eq > 0) merged.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  for (const [k, v] of Object.entries(over)) merged.set(k, v);
  return [...merged].map(([k, v]) => `${k}=${v}`);
}

function baseMounts(privileged: boolean, shm: string | undefined): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    shm === undefined
      ? {
          destination: '/dev/shm',
          type: 'tmpfs',
          source: 'shm',
          options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
        }
      : {
          destination: '/dev/shm',
          type: 'bind',
          source: shm,
          options: ['rbind', 'nosuid', 'noexec', 'nodev'],
        },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'],
    },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'],
    },
  ];
}

const bind = (source: string, destination: string, readOnly: boolean): OciMount => ({
  destination,
  type: 'bind',
  source,
  options: ['rbind', 'rprivate', readOnly ? 'ro' : 'rw'],
});

/**
 * The OCI `config.json` of a container (runtime-spec 1.0, as runc 1.1 reads it), from its spec and
 * its image: argv (under the init), env, working directory, user (`runAsUser`/`runAsGroup` over
 * the image's), capabilities, `no_new_privs`, read-only root, masked and read-only paths, hostname,
 * namespaces (the pod's IPC and UTS, the sandbox's network namespace or the host's when there is
 * none), cgroup limits
 * (memory, CPU quota and shares, pids) and bind mounts for volumes and the sandbox's files. Pure:
 * everything from the host is in `options`.
 */
export function buildOciConfig(spec: ContainerSpec, options: OciConfigOptions): OciConfig {
  const image = spec.unpackedImage?.config ?? {};
  const sec = spec.security ?? {};
  const privileged = sec.privileged === true;
  checkRunAsNonRoot(spec, image.User);
  const argv = containerArgv(spec, image);
  const user = options.imageUser;
  const uid = user.uid;
  const gid = sec.runAsGroup ?? user.gid;
  const additionalGids = [...new Set([...user.additionalGids, ...(sec.supplementalGroups ?? [])])];
  const caps = containerCapabilities({
    privileged,
    add: sec.capabilities?.add,
    drop: sec.capabilities?.drop,
  }).filter((c) => options.grantable?.includes(c) ?? true);
  const hostname = podHostname(spec);
  const env = envList(
    { PATH: DEFAULT_PATH, HOSTNAME: hostname, HOME: user.home ?? (uid === 0 ? '/root' : '/') },
    image.Env ?? [],
    { ...options.extraEnv, ...spec.env },
  );
  const shared = options.podNamespaces;
  const mounts = baseMounts(privileged, shared?.shm);
  mounts.push(bind(options.initBinary, INIT_PATH, true));
  const files =
    spec.sandbox !== undefined
      ? { hosts: spec.sandbox.hostsFile, resolvConf: spec.sandbox.resolvConfFile }
      : options.hostFiles;
  if (files !== undefined) {
    mounts.push(bind(files.hosts, '/etc/hosts', true));
    mounts.push(bind(files.resolvConf, '/etc/resolv.conf', true));
  }
  for (const m of spec.mounts ?? []) mounts.push(bind(m.hostPath, m.mountPath, m.readOnly === true));
  const namespaces: { type: string; path?: string }[] = [
    { type: 'pid' },
    shared === undefined ? { type: 'ipc' } : { type: 'ipc', path: shared.ipc },
    shared === undefined ? { type: 'uts' } : { type: 'uts', path: shared.uts },
    { type: 'mount' },
  ];
  if (spec.sandbox !== undefined) namespaces.push({ type: 'network', path: spec.sandbox.netnsPath });
  const limits = spec.limits ?? {};
  const resources: OciResources = {
    devices: [{ allow: privileged, access: 'rwm' }],
  };
  if (limits.memoryBytes !== undefined) resources.memory = { limit: Math.floor(limits.memoryBytes) };
  if (limits.cpuCores !== undefined)
    resources.cpu = {
      shares: Math.max(2, Math.round(limits.cpuCores * 1024)),
      quota: Math.max(1000, Math.round(limits.cpuCores * 100_000)),
      period: 100_000,
    };
  const pids = limits.pids ?? options.defaultPidsLimit;
  if (pids !== undefined) resources.pids = { limit: pids };
  const linux: OciConfig['linux'] = { namespaces, cgroupsPath: options.cgroupsPath, resources };
  if (!privileged) {
    linux.maskedPaths = [...MASKED_PATHS];
    linux.readonlyPaths = [...READONLY_PATHS];
  }
  if (wantsSeccomp(spec)) linux.seccomp = defaultSeccompProfile(caps, options.arch ?? 'x64');
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid, gid, ...(additionalGids.length > 0 ? { additionalGids } : {}) },
      args: [INIT_PATH, '--', ...argv],
      env,
      cwd:
        spec.workingDir ??
        (image.WorkingDir !== undefined && image.WorkingDir !== '' ? image.WorkingDir : '/'),
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: options.nofile ?? 1048576, soft: options.nofile ?? 1048576 }],
      noNewPrivileges: sec.allowPrivilegeEscalation === false,
    },
    root: { path: 'rootfs', readonly: sec.readOnlyRootFilesystem === true },
    hostname,
    mounts,
    linux,
  };
}
