import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Cgroups, type CgroupRef } from './cgroups.js';
import type { LogRotation } from './container-log.js';
import { toContainerStatus, type ContainerRecord } from './container-record.js';
import { containerNotRunning, startFailed } from './errors.js';
import { execInContainer } from './exec.js';
import { spawnExecSession } from './exec-stream.js';
import { settle } from './promises.js';
import { FifoPump, makeFifos } from './fifo-pump.js';
import { portEnv } from './host-ports.js';
import { LiveContainers, podLogDir, type DiskFailure, type Live } from './live-containers.js';
import { groupUsages, readProcStat } from './proc-stat.js';
import { mountEnv } from './volume-plan.js';
import { commandAs, execAs } from './process-identity.js';
import { killGroup, spawnWrapper } from './wrapper.js';
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
} from './runtime.js';

/** Options of the ProcessRuntime. */
export interface ProcessRuntimeOptions {
  /** Holds `containers/` (records, pipes, exit files) and, by default, `logs/`. */
  dataDir: string;
  rotation?: LogRotation;
  /** Enforce limits with cgroups when possible (default true); false only reports them. */
  cgroups?: boolean;
  /** The cgroup under which containers go; default `stratus`. */
  cgroupParent?: string;
  /** How often adopted containers are checked for exit; default 200 ms. */
  pollMs?: number;
  /**
   * Told when the disk refuses one of the runtime's writes: a container's output (`log`: dropped
   * until writes succeed again; told once per failing spell) or its record (`record`: a start
   * fails, a stop or exit is kept in memory only). The runtime goes on either way.
   */
  onDiskError?: (failure: DiskFailure) => void;
}

export { podLogDir, type DiskFailure } from './live-containers.js';

/**
 * The `process` runtime: each container is a host process group running the container's command
 * with its env, working directory and `PORT`. The image is kept but not pulled. Containers outlive
 * the runtime object; a runtime opened on the same data directory adopts them from their records.
 */
export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  private readonly live: LiveContainers<ContainerRecord>;
  private readonly cgroups: Cgroups | undefined;

  constructor(private readonly options: ProcessRuntimeOptions) {
    this.live = new LiveContainers(options.dataDir, options);
    const cgOpts = options.cgroupParent === undefined ? {} : { parent: options.cgroupParent };
    this.cgroups = options.cgroups === false ? undefined : Cgroups.detect(cgOpts);
    for (const record of this.live.records.loadAll())
      this.live.adopt(record, (l) => void this.finish(l, undefined, undefined));
  }

  /** True when this runtime enforces memory and CPU limits with cgroups. */
  get enforcesLimits(): boolean {
    return this.cgroups !== undefined;
  }

  async start(spec: ContainerSpec): Promise<string> {
    if (this.live.closed) throw new RangeError('runtime is closed');
    if (spec.command.length === 0 || spec.command[0] === '') {
      throw startFailed(
        `container "${spec.containerName}" has no command: the process runtime runs commands, not images`,
      );
    }
    const id = randomBytes(8).toString('hex');
    const paths = this.live.records.paths(id);
    const logDir = spec.logDir ?? join(podLogDir(this.options.dataDir, spec), spec.containerName);
    await makeFifos([paths.stdoutFifo, paths.stderrFifo]);
    const writer = this.live.logWriter(logDir, spec);
    const pump = new FifoPump(paths.stdoutFifo, paths.stderrFifo, writer);
    let cgroup: CgroupRef | undefined;
    let child: ChildProcess;
    try {
      if (spec.limits !== undefined) cgroup = this.cgroups?.create(id, spec.limits);
      const command = spec.identity === undefined ? spec.command : commandAs(spec.identity, spec.command);
      child = await spawnWrapper(command, {
        env: {
          PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
          HOME: process.env['HOME'] ?? '/',
          HOSTNAME: spec.podName,
          ...portEnv(spec.ports ?? []),
          ...mountEnv(spec.mounts ?? []),
          ...spec.env,
        },
        cwd: spec.workingDir,
        exitFile: paths.exitFile,
        stdoutFifo: paths.stdoutFifo,
        stderrFifo: paths.stderrFifo,
        stdin: await this.live.stdin.prepare(id, paths.stdinFifo, spec),
        cgroupProcs: cgroup === undefined ? [] : Cgroups.procsFiles(cgroup),
      });
    } catch (err) {
      pump.detach();
      writer.close();
      if (cgroup !== undefined) await Cgroups.remove(cgroup);
      this.live.stdin.drop(id);
      this.live.records.delete(id);
      throw startFailed(`Cannot start container "${spec.containerName}": ${(err as Error).message}`, {
        workingDir: spec.workingDir,
      });
    }
    const pid = child.pid ?? 0;
    const record: ContainerRecord = {
      id,
      spec,
      logDir,
      pid,
      procStartTime: readProcStat(pid)?.startTime ?? '',
      startedAt: new Date().toISOString(),
      ...(cgroup !== undefined ? { cgroup } : {}),
    };
    try {
      this.live.records.save(record);
    } catch (err) {
      // Without its record a container could not be adopted or reported after a restart.
      killGroup(pid, 'SIGKILL');
      pump.detach();
      writer.close();
      if (cgroup !== undefined) await Cgroups.remove(cgroup);
      this.live.stdin.drop(id);
      this.live.records.delete(id);
      this.live.report('record', spec, err);
      throw startFailed(
        `Cannot start container "${spec.containerName}": its record could not be saved: ${(err as Error).message}`,
      );
    }
    const live = this.live.track(record, writer, pump);
    live.child = child;
    child.on('exit', (code, signal) => {
      if (this.live.closed) return;
      const sig = signal === null ? undefined : signal;
      void this.finish(live, code ?? undefined, sig);
    });
    return id;
  }

  async stop(id: string, options: StopOptions = {}): Promise<ContainerStatus> {
    const live = this.live.get(id);
    await this.live.stop(live, options, {
      exec: (command, o) => this.exec(id, command, o),
      term: () => killGroup(live.record.pid, 'SIGTERM'),
      kill: () => killGroup(live.record.pid, 'SIGKILL'),
    });
    return toContainerStatus(live.record);
  }

  status(id: string): Promise<ContainerStatus> {
    return settle(() => toContainerStatus(this.live.get(id).record));
  }

  list(): Promise<ContainerStatus[]> {
    return Promise.resolve(this.live.all().map((l) => toContainerStatus(l.record)));
  }

  /**
   * Resolves once the container has exited and its output is in the log. After `close()` it
   * resolves at once with whatever the status was.
   */
  async wait(id: string): Promise<ContainerStatus> {
    const live = this.live.get(id);
    await live.exited;
    return toContainerStatus(live.record);
  }

  logs(id: string, options: LogOptions = {}): Promise<Readable> {
    return settle(() => this.live.logs(id, options));
  }

  stats(id: string): Promise<ContainerStats> {
    return settle(() => this.usage(id));
  }

  /**
   * The stats of several containers at once: those without a cgroup are read from one scan of
   * procfs rather than one per container. Unknown ids are left out.
   */
  statsMany(ids: readonly string[]): Promise<Map<string, ContainerStats>> {
    return settle(() => {
      const known = ids.flatMap((id) => {
        const live = this.live.find(id);
        return live === undefined ? [] : [{ id, record: live.record }];
      });
      const scanned = known.filter((k) => k.record.cgroup === undefined && k.record.finishedAt === undefined);
      const groups = groupUsages(scanned.map((k) => k.record.pid));
      return new Map(known.map((k) => [k.id, this.usageOf(k.record, groups.get(k.record.pid))]));
    });
  }

  private usage(id: string): ContainerStats {
    const record = this.live.get(id).record;
    const scanned = record.cgroup === undefined && record.finishedAt === undefined;
    return this.usageOf(record, scanned ? groupUsages([record.pid]).get(record.pid) : undefined);
  }

  private usageOf(
    record: ContainerRecord,
    group: { cpuSeconds: number; memoryBytes: number } | undefined,
  ): ContainerStats {
    const limits = record.spec.limits ?? {};
    const enforced = record.cgroup !== undefined;
    if (record.finishedAt !== undefined)
      return { cpuSeconds: 0, memoryBytes: 0, limits, limitsEnforced: enforced };
    const usage =
      record.cgroup !== undefined
        ? Cgroups.usage(record.cgroup)
        : (group ?? { cpuSeconds: 0, memoryBytes: 0 });
    return { ...usage, limits, limitsEnforced: enforced };
  }

  async exec(id: string, command: string[], options: { timeoutSeconds?: number } = {}): Promise<ExecResult> {
    const { spec, pid } = (await settle(() => this.live.get(id))).record;
    const env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      ...portEnv(spec.ports ?? []),
      ...mountEnv(spec.mounts ?? []),
      ...spec.env,
    };
    return execInContainer(spec.identity === undefined ? command : execAs(spec.identity, pid, command), {
      env,
      cwd: spec.workingDir,
      timeoutSeconds: options.timeoutSeconds ?? 60,
    });
  }

  /**
   * `kubectl exec`: the command runs as the container's main process does (its user and mount
   * namespace when the agent is root, its env with `PORT` and the volume paths, its working
   * directory). Paths refer to the host's file system, as every path of a process container does.
   */
  async execStream(id: string, command: string[], options: ExecStreamOptions): Promise<ExecSession> {
    const { spec, pid, finishedAt } = (await settle(() => this.live.get(id))).record;
    if (finishedAt !== undefined) throw containerNotRunning(spec.containerName);
    const env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/',
      HOSTNAME: spec.podName,
      ...portEnv(spec.ports ?? []),
      ...mountEnv(spec.mounts ?? []),
      ...spec.env,
    };
    const argv = spec.identity === undefined ? command : execAs(spec.identity, pid, command);
    return spawnExecSession(argv, {
      env,
      cwd: spec.workingDir,
      tty: options.tty,
      stdin: options.stdin,
      signal: options.signal,
    });
  }

  attach(id: string): Promise<Writable | null> {
    this.live.get(id);
    return Promise.resolve(this.live.stdin.open(id));
  }

  async remove(id: string): Promise<void> {
    const live = this.live.find(id);
    if (live === undefined) return;
    if (live.record.finishedAt === undefined) await this.stop(id, { gracePeriodSeconds: 0 });
    this.live.forget(id);
  }

  async close(): Promise<void> {
    this.live.close();
    await Promise.resolve();
  }

  /** The wrapper exited: kill what is left of the group, drain the log, record why it ended. */
  private async finish(
    live: Live,
    code: number | undefined,
    signal: NodeJS.Signals | undefined,
  ): Promise<void> {
    if (!this.live.beginFinish(live)) return;
    const { record } = live;
    this.live.stdin.drop(record.id);
    killGroup(record.pid, 'SIGKILL');
    await this.live.drainLog(live);
    const oomKilled = record.cgroup !== undefined && Cgroups.oomKilled(record.cgroup);
    if (record.cgroup !== undefined) await Cgroups.remove(record.cgroup);
    this.live.complete(live, { wrapperCode: code, wrapperSignalled: signal !== undefined, oomKilled });
  }
}
