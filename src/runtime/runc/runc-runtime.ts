import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { Cgroups, type CgroupRef } from '../cgroups.js';
import type { LogRotation, LogWriter } from '../container-log.js';
import type { ContainerRecord } from '../container-record.js';
import { containerNotRunning, RuntimeError, startFailed } from '../errors.js';
import { execInContainer } from '../exec.js';
import { spawnExecSession } from '../exec-stream.js';
import { FifoPump, makeFifos } from '../fifo-pump.js';
import { portEnv } from '../host-ports.js';
import { LiveContainers, podLogDir, type DiskFailure, type Live } from '../live-containers.js';
import { readProcStat } from '../proc-stat.js';
import { settle } from '../promises.js';
import type {
  ContainerSpec,
  ContainerStats,
  ContainerStatus,
  ExecResult,
  ExecSession,
  ExecStreamOptions,
  LogOptions,
  Runtime,
  StopOptions,
  UnpackedImage,
} from '../runtime.js';
import { spawnWrapper } from '../wrapper.js';
import { capabilitiesInMask } from './capabilities.js';
import { resolveUser } from './image-user.js';
import { buildOciConfig, podHostname, userToResolve } from './oci-config.js';
import { PodNamespaceTable, type PodNamespaces } from './pod-namespaces.js';
import { mountOverlay, readIdFiles, removeBundle, rootfsPaths } from './rootfs.js';
import { lastRuncError, runc } from './runc-command.js';

/** Options of the RuncRuntime. */
export interface RuncRuntimeOptions {
  /** Holds `containers/` (records, pipes, exit files), `bundles/`, runc's `state/` and, by default, `logs/`. */
  dataDir: string;
  /** The OCI runtime binary; default `runc` (Debian's runc 1.1; crun refuses hybrid cgroup layouts). */
  runtimeBinary?: string;
  /** The static init run as each container's pid 1; default Debian's `/usr/bin/tini-static`. */
  initBinary?: string;
  /** The cgroup parent of containers; default `stratus-runc`. */
  cgroupParent?: string;
  /**
   * One root file system for every container, whatever image it names (tests of the runtime
   * itself): the runtime then does not ask the agent for images. Without it the agent pulls each
   * container's image and fills `unpackedImage`.
   */
  defaultImage?: UnpackedImage;
  /** The pids limit of containers that set none; default 4096 (kubelet's podPidsLimit is unlimited). */
  defaultPidsLimit?: number;
  rotation?: LogRotation;
  /** How often adopted containers are checked for exit; default 200 ms. */
  pollMs?: number;
  /** Told when the disk refuses a log or record write (see `ProcessRuntimeOptions.onDiskError`). */
  onDiskError?: (failure: DiskFailure) => void;
  /**
   * True when the agent runs a pod network: containers then need a sandbox (`needsSandbox`), their
   * pod's own network namespace, address, /etc/hosts, /etc/resolv.conf and hostname. False
   * (default) is the fallback when no pod network can exist: containers share the host's network.
   */
  podNetwork?: boolean;
  /**
   * The shim that waits for each container in place of a resident `runc run` (see
   * `runc-shim.c`); default `dist/stratus-runc-shim` of this package, and `runc run` in the
   * foreground when it is missing. Null forces that fallback.
   */
  shimBinary?: string | null;
}

/** `dist/stratus-runc-shim` of the package this module belongs to (built from src or bundled), when it was built. */
function defaultShim(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (!existsSync(join(dir, 'package.json'))) continue;
    const shim = join(dir, 'dist', 'stratus-runc-shim');
    return existsSync(shim) ? shim : undefined;
  }
  return undefined;
}

/** The process runtime's record plus what runc needs: the bundle, and the container's own pid. */
interface RuncRecord extends ContainerRecord {
  bundle: string;
  /** The container's pid 1 (the init) on the host, from runc's pid file. */
  containerPid?: number;
}

/** The cgroup folders runc makes for `cgroupsPath` on this machine's layout (v1 when its controllers are mounted). */
function cgroupRef(cgroupsPath: string): CgroupRef {
  const root = '/sys/fs/cgroup';
  if (existsSync(join(root, 'memory')))
    return { version: 1, dirs: ['memory', 'cpuacct', 'pids'].map((c) => join(root, c, cgroupsPath)) };
  return { version: 2, dirs: [join(root, cgroupsPath)] };
}

/** The agent's own hard RLIMIT_NOFILE (from /proc/self/limits): a container cannot be given more without CAP_SYS_RESOURCE. */
function hostNofile(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    return hard === undefined || hard === 'unlimited' ? undefined : Math.min(Number(hard), 1048576);
  } catch {
    return undefined;
  }
}

/** The runtime's own bounding capabilities (what runc can grant), or undefined when unknown. */
function grantableCapabilities(): string[] | undefined {
  try {
    const hex = /^CapBnd:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return hex === undefined ? undefined : capabilitiesInMask(hex);
  } catch {
    return undefined;
  }
}

/** True when this host can run runc containers: root on Linux with the runtime and init binaries. */
export function runcAvailable(options: { runtimeBinary?: string; initBinary?: string } = {}): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const bin = options.runtimeBinary ?? 'runc';
  const onPath = (b: string): boolean =>
    b.includes('/')
      ? existsSync(b)
      : (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin')
          .split(':')
          .some((d) => existsSync(join(d, b)));
  return onPath(bin) && existsSync(options.initBinary ?? '/usr/bin/tini-static');
}

/**
 * The `runc` runtime: each container is an OCI bundle (`config.json` from `buildOciConfig`, a root
 * file system on overlayfs over the image's layers) run by `runc run --detach` under the
 * `stratus-runc-shim` (a child subreaper that then waits for the container's init, so no `runc`
 * stays resident; `runc run --keep` in the foreground when the shim was not built) under the same
 * `sh` wrapper as the process runtime, in its own session: the wrapper holds the output pipes and
 * writes the container's exit status to a file, so containers outlive the agent and a
 * runtime opened on the same data directory adopts them. Pid 1 of every container is Debian's
 * static tini (Docker's `--init`), so a program without a SIGTERM handler still dies of SIGTERM
 * as it would on the process runtime. Limits, OOM kills and stats come from runc's cgroup.
 */
export class RuncRuntime implements Runtime {
  readonly name = 'runc';
  /** False only with a fixed `defaultImage`: the agent pulls nothing for such a runtime. */
  get usesImages(): boolean {
    return this.options.defaultImage === undefined;
  }
  /** With a pod network, every container joins its pod's sandbox; else the host's network. */
  readonly needsSandbox: boolean;
  private readonly live: LiveContainers<RuncRecord>;
  private readonly binary: string;
  private readonly shim: string | undefined;
  private readonly stateRoot: string;
  private readonly pods: PodNamespaceTable;
  private readonly nofile = hostNofile();
  private readonly grantable = grantableCapabilities();

  constructor(private readonly options: RuncRuntimeOptions) {
    this.needsSandbox = options.podNetwork === true;
    this.live = new LiveContainers(options.dataDir, options);
    this.binary = options.runtimeBinary ?? 'runc';
    this.shim = options.shimBinary === null ? undefined : (options.shimBinary ?? defaultShim());
    this.stateRoot = join(options.dataDir, 'state');
    mkdirSync(this.stateRoot, { recursive: true, mode: 0o700 });
    mkdirSync(join(options.dataDir, 'bundles'), { recursive: true, mode: 0o700 });
    for (const record of this.live.records.loadAll())
      this.live.adopt(record as RuncRecord, (l) => void this.finish(l, undefined, undefined));
    this.pods = new PodNamespaceTable(join(options.dataDir, 'pod-namespaces'), (uid) =>
      this.live.all().some((l) => l.record.spec.podUid === uid),
    );
    void this.pods.sweep();
    // A bundle without a record is a start that crashed before saving it: nothing adopts it.
    for (const id of readdirSync(join(options.dataDir, 'bundles'))) {
      if (this.live.has(id)) continue;
      void this.runc(['delete', '-f', id]).then(() => removeBundle(join(options.dataDir, 'bundles', id)));
    }
  }

  /** Runs the runtime binary on this runtime's state root (`runc --root DATA/state ARGS`). */
  runc(args: string[]): ReturnType<typeof runc> {
    return runc(this.binary, this.stateRoot, args);
  }

  /**
   * Starts the container in its pod's IPC and UTS namespaces and `/dev/shm` (made with the pod's
   * first container, removed with its last).
   */
  async start(spec: ContainerSpec): Promise<string> {
    if (this.live.closed) throw new RangeError('runtime is closed');
    const entered = this.pods.enter(spec.podUid, podHostname(spec));
    entered.catch(() => undefined); // awaited in startIn, unless it fails before
    try {
      return await this.startIn(spec, entered);
    } finally {
      await this.pods.leave(spec.podUid).catch(() => undefined);
    }
  }

  private async startIn(spec: ContainerSpec, entered: Promise<PodNamespaces>): Promise<string> {
    const image = spec.unpackedImage ?? this.options.defaultImage;
    if (image === undefined)
      throw startFailed(`Cannot start container "${spec.containerName}": the runc runtime needs an image`);
    const id = randomBytes(8).toString('hex');
    const bundle = join(this.options.dataDir, 'bundles', id);
    const paths = this.live.records.paths(id);
    const cgroupsPath = `/${this.options.cgroupParent ?? 'stratus-runc'}/${id}`;
    const withImage: ContainerSpec = { ...spec, unpackedImage: image };
    const logDir = spec.logDir ?? join(podLogDir(this.options.dataDir, spec), spec.containerName);
    let writer: LogWriter | undefined;
    let pump: FifoPump | undefined;
    let child: ChildProcess;
    let containerPid: number;
    let exit!: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    const fail = async (err: unknown): Promise<never> => {
      pump?.detach();
      writer?.close();
      await this.runc(['delete', '-f', id]);
      await removeBundle(bundle);
      this.live.stdin.drop(id);
      this.live.records.delete(id);
      if (err instanceof RuntimeError) throw err;
      throw startFailed(`Cannot start container "${spec.containerName}": ${(err as Error).message}`);
    };
    try {
      const podNamespaces = await entered;
      mkdirSync(bundle, { recursive: true, mode: 0o700 });
      const rootfs = rootfsPaths(bundle);
      await mountOverlay(image.layerDirs, rootfs);
      const user = resolveUser(userToResolve(withImage), readIdFiles(rootfs.rootfs));
      const config = buildOciConfig(withImage, {
        cgroupsPath,
        imageUser: user,
        initBinary: this.options.initBinary ?? '/usr/bin/tini-static',
        ...(spec.sandbox === undefined
          ? {
              extraEnv: portEnv(spec.ports ?? []),
              hostFiles: { hosts: '/etc/hosts', resolvConf: '/etc/resolv.conf' },
            }
          : {}),
        defaultPidsLimit: this.options.defaultPidsLimit ?? 4096,
        podNamespaces,
        arch: process.arch,
        ...(this.nofile !== undefined ? { nofile: this.nofile } : {}),
        ...(this.grantable !== undefined ? { grantable: this.grantable } : {}),
      });
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(config), { mode: 0o600 });
      await makeFifos([paths.stdoutFifo, paths.stderrFifo]);
      writer = this.live.logWriter(logDir, spec);
      pump = new FifoPump(paths.stdoutFifo, paths.stderrFifo, writer);
      const pidFile = join(bundle, 'pid');
      const runArgs = [
        this.binary,
        '--root',
        this.stateRoot,
        '--log',
        join(bundle, 'runc.log'),
        '--log-format',
        'json',
        'run',
        '--bundle',
        bundle,
        '--pid-file',
        pidFile,
      ];
      child = await spawnWrapper(
        this.shim !== undefined
          ? [this.shim, pidFile, ...runArgs, '--detach', id]
          : [...runArgs, '--keep', id],
        {
          env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
          cwd: bundle,
          exitFile: paths.exitFile,
          stdoutFifo: paths.stdoutFifo,
          stderrFifo: paths.stderrFifo,
          stdin: await this.live.stdin.prepare(id, paths.stdinFifo, spec),
          cgroupProcs: [],
        },
      );
      // Listened for at once: a container that exits in its first milliseconds must still finish.
      const spawned = child;
      exit = new Promise((resolve) => spawned.once('exit', (code, signal) => resolve({ code, signal })));
      containerPid = await this.waitForPid(pidFile, child, bundle);
    } catch (err) {
      return fail(err);
    }
    const pid = child.pid ?? 0;
    const record: RuncRecord = {
      id,
      spec,
      logDir,
      pid,
      procStartTime: readProcStat(pid)?.startTime ?? '',
      startedAt: new Date().toISOString(),
      cgroup: cgroupRef(cgroupsPath),
      bundle,
      containerPid,
    };
    try {
      this.live.records.save(record);
    } catch (err) {
      await this.runc(['kill', '--all', id, 'KILL']);
      this.live.report('record', spec, err);
      return fail(new Error(`its record could not be saved: ${(err as Error).message}`));
    }
    const live = this.live.track(record, writer, pump);
    live.child = child;
    void exit.then(({ code, signal }) => {
      if (this.live.closed) return;
      void this.finish(live, code ?? undefined, signal ?? undefined);
    });
    return id;
  }

  /** Resolves with the container's pid once runc wrote it; rejects with runc's error if runc exited first. */
  private async waitForPid(pidFile: string, child: ChildProcess, bundle: string): Promise<number> {
    let exited = false;
    child.once('exit', () => (exited = true));
    for (let delay = 1; ; delay = Math.min(20, delay * 2)) {
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        if (pid > 0) return pid;
      }
      if (exited || child.exitCode !== null) {
        let log = '';
        try {
          log = readFileSync(join(bundle, 'runc.log'), 'utf8');
        } catch {
          // no log: runc did not even start
        }
        throw new Error(lastRuncError(log) ?? 'runc exited before the container started');
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  async stop(id: string, options: StopOptions = {}): Promise<ContainerStatus> {
    const live = this.live.get(id);
    const grace = options.gracePeriodSeconds ?? 30;
    await this.live.stop(live, options, {
      exec: (command, o) => this.exec(id, command, o),
      // A pod with its own address is reached there, as kubelet reaches it.
      ...(live.record.spec.sandbox !== undefined ? { host: live.record.spec.sandbox.podIP } : {}),
      term: () => (grace > 0 ? this.runc(['kill', id, 'TERM']) : undefined),
      kill: () => this.runc(['kill', '--all', id, 'KILL']),
    });
    return this.toStatus(live.record);
  }

  status(id: string): Promise<ContainerStatus> {
    return settle(() => this.toStatus(this.live.get(id).record));
  }

  list(): Promise<ContainerStatus[]> {
    return Promise.resolve(this.live.all().map((l) => this.toStatus(l.record)));
  }

  async wait(id: string): Promise<ContainerStatus> {
    const live = this.live.get(id);
    await live.exited;
    return this.toStatus(live.record);
  }

  logs(id: string, options: LogOptions = {}): Promise<Readable> {
    return settle(() => this.live.logs(id, options));
  }

  stats(id: string): Promise<ContainerStats> {
    return settle(() => {
      const record = this.live.get(id).record;
      const limits = record.spec.limits ?? {};
      if (record.finishedAt !== undefined || record.cgroup === undefined)
        return { cpuSeconds: 0, memoryBytes: 0, limits, limitsEnforced: true };
      return { ...Cgroups.usage(record.cgroup), limits, limitsEnforced: true };
    });
  }

  /**
   * `runc exec` with the container's process settings (env, working directory, user,
   * capabilities). runc refusing a missing or unexecutable program reads 127 or 126, as a shell.
   */
  async exec(id: string, command: string[], options: { timeoutSeconds?: number } = {}): Promise<ExecResult> {
    await settle(() => this.live.get(id));
    const r = await execInContainer([this.binary, '--root', this.stateRoot, 'exec', id, ...command], {
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      timeoutSeconds: options.timeoutSeconds ?? 60,
    });
    if (r.exitCode !== 0 && /unable to start container process: exec/.test(r.stderr)) {
      if (/no such file or directory|executable file not found/.test(r.stderr)) r.exitCode = 127;
      else if (/permission denied/.test(r.stderr)) r.exitCode = 126;
    }
    return r;
  }

  /**
   * `kubectl exec`: `runc exec` in the container's namespaces, env, working directory, user and
   * capabilities, its pipes passed through. A tty is runc's own (`--tty` in the foreground makes
   * the pty and copies it to runc's terminal, so no console socket, whose fd Node could not
   * receive) under util-linux `script`, whose terminal runc follows on SIGWINCH, so a resize is
   * the process runtime's `stty`. Aborting kills the exec'd process (its host pid from
   * `--pid-file`), then runc.
   */
  async execStream(id: string, command: string[], options: ExecStreamOptions): Promise<ExecSession> {
    const { record } = await settle(() => this.live.get(id));
    if (record.finishedAt !== undefined) throw containerNotRunning(record.spec.containerName);
    const pidFile = join(record.bundle, `exec-${randomBytes(6).toString('hex')}.pid`);
    const argv = [
      this.binary,
      '--root',
      this.stateRoot,
      'exec',
      ...(options.tty ? ['--tty'] : []),
      '--pid-file',
      pidFile,
      id,
      ...command,
    ];
    const abort = new AbortController();
    const kill = (): void => {
      try {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // not started yet, or gone: runc's group is killed below
      }
      abort.abort();
    };
    const session = spawnExecSession(argv, {
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      tty: options.tty,
      stdin: options.stdin,
      signal: abort.signal,
    });
    if (options.signal?.aborted === true) kill();
    options.signal?.addEventListener('abort', kill, { once: true });
    void session.exited.then(() => {
      options.signal?.removeEventListener('abort', kill);
      rmSync(pidFile, { force: true });
    });
    return session;
  }

  attach(id: string): Promise<Writable | null> {
    this.live.get(id);
    return Promise.resolve(this.live.stdin.open(id));
  }

  async remove(id: string): Promise<void> {
    const live = this.live.find(id);
    if (live === undefined) return;
    if (live.record.finishedAt === undefined) await this.stop(id, { gracePeriodSeconds: 0 });
    await this.runc(['delete', '-f', id]);
    await removeBundle(live.record.bundle);
    this.live.forget(id);
    await this.pods.release(live.record.spec.podUid);
  }

  async close(): Promise<void> {
    this.live.close();
    await Promise.resolve();
  }

  private toStatus(r: RuncRecord): ContainerStatus {
    const s: ContainerStatus = {
      id: r.id,
      spec: r.spec,
      state: r.finishedAt === undefined ? 'running' : 'exited',
      pid: r.containerPid ?? r.pid,
      startedAt: r.startedAt,
      limitsEnforced: true,
    };
    if (r.finishedAt !== undefined) s.finishedAt = r.finishedAt;
    if (r.exitCode !== undefined) s.exitCode = r.exitCode;
    if (r.signal !== undefined) s.signal = r.signal;
    if (r.reason !== undefined) s.reason = r.reason;
    return s;
  }

  /** The shim (or runc run) returned: drain the log, read the exit status and the OOM counter, delete the container. */
  private async finish(
    live: Live<RuncRecord>,
    code: number | undefined,
    signal: NodeJS.Signals | undefined,
  ): Promise<void> {
    if (!this.live.beginFinish(live)) return;
    const { record } = live;
    this.live.stdin.drop(record.id);
    await this.live.drainLog(live);
    const oomKilled = record.cgroup !== undefined && Cgroups.oomKilled(record.cgroup);
    // Kept (detached, or `run --keep`) so the OOM counter could be read; a shim that died leaves it running.
    await this.runc(['delete', '-f', record.id]);
    this.live.complete(live, { wrapperCode: code, wrapperSignalled: signal !== undefined, oomKilled });
  }
}
