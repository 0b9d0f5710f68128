import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Cgroups, type CgroupRef } from './cgroups.js';
import { LogWriter, logFilePath, type LogRotation } from './container-log.js';
import { RecordStore, toContainerStatus, type ContainerRecord } from './container-record.js';
import { containerNotFound, containerNotRunning, previousNotFound, startFailed } from './errors.js';
import { execInContainer } from './exec.js';
import { spawnExecSession } from './exec-stream.js';
import { interpretExit } from './exit-status.js';
import { settle, within } from './promises.js';
import { FifoPump, makeFifos } from './fifo-pump.js';
import { StdinPipes } from './stdin-pipes.js';
import { portEnv } from './host-ports.js';
import { openLogStream } from './log-stream.js';
import { runHandler } from './probe.js';
import { groupUsages, isProcessAlive, readProcStat } from './proc-stat.js';
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

/** A write the disk refused (see `ProcessRuntimeOptions.onDiskError`). */
export interface DiskFailure {
  what: 'log' | 'record';
  /** The container it concerns (its pod's namespace, name and uid). */
  spec: ContainerSpec;
  error: Error;
}

interface Live {
  record: ContainerRecord;
  writer?: LogWriter;
  pump?: FifoPump;
  child?: ChildProcess;
  poll?: NodeJS.Timeout;
  exited: Promise<void>;
  resolveExited: () => void;
  finishing: boolean;
}

const nowIso = (): string => new Date().toISOString();

/**
 * Where a pod's container logs go by default: `<dataDir>/logs/<namespace>_<name>_<uid>`, one folder
 * per container inside, as kubelet lays out /var/log/pods. The agent removes it when the pod goes.
 */
export function podLogDir(
  dataDir: string,
  pod: { podNamespace: string; podName: string; podUid: string },
): string {
  return join(dataDir, 'logs', `${pod.podNamespace}_${pod.podName}_${pod.podUid}`);
}

/**
 * The `process` runtime: each container is a host process group running the container's command
 * with its env, working directory and `PORT`. The image is kept but not pulled. Containers outlive
 * the runtime object; a runtime opened on the same data directory adopts them from their records.
 */
export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  private readonly records: RecordStore;
  private readonly live = new Map<string, Live>();
  private readonly cgroups: Cgroups | undefined;
  private closed = false;
  private readonly stdin = new StdinPipes();

  constructor(private readonly options: ProcessRuntimeOptions) {
    this.records = new RecordStore(options.dataDir);
    const cgOpts = options.cgroupParent === undefined ? {} : { parent: options.cgroupParent };
    this.cgroups = options.cgroups === false ? undefined : Cgroups.detect(cgOpts);
    for (const record of this.records.loadAll()) this.adopt(record);
  }

  /** True when this runtime enforces memory and CPU limits with cgroups. */
  get enforcesLimits(): boolean {
    return this.cgroups !== undefined;
  }

  async start(spec: ContainerSpec): Promise<string> {
    if (this.closed) throw new RangeError('runtime is closed');
    if (spec.command.length === 0 || spec.command[0] === '') {
      throw startFailed(
        `container "${spec.containerName}" has no command: the process runtime runs commands, not images`,
      );
    }
    const id = randomBytes(8).toString('hex');
    const paths = this.records.paths(id);
    const logDir = spec.logDir ?? join(podLogDir(this.options.dataDir, spec), spec.containerName);
    await makeFifos([paths.stdoutFifo, paths.stderrFifo]);
    const writer = this.logWriter(logDir, spec);
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
        stdin: await this.stdin.prepare(id, paths.stdinFifo, spec),
        cgroupProcs: cgroup === undefined ? [] : Cgroups.procsFiles(cgroup),
      });
    } catch (err) {
      pump.detach();
      writer.close();
      if (cgroup !== undefined) await Cgroups.remove(cgroup);
      this.stdin.drop(id);
      this.records.delete(id);
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
      startedAt: nowIso(),
      ...(cgroup !== undefined ? { cgroup } : {}),
    };
    try {
      this.records.save(record);
    } catch (err) {
      // Without its record a container could not be adopted or reported after a restart.
      killGroup(pid, 'SIGKILL');
      pump.detach();
      writer.close();
      if (cgroup !== undefined) await Cgroups.remove(cgroup);
      this.stdin.drop(id);
      this.records.delete(id);
      this.report('record', spec, err);
      throw startFailed(
        `Cannot start container "${spec.containerName}": its record could not be saved: ${(err as Error).message}`,
      );
    }
    const live = this.track(record, writer, pump);
    live.child = child;
    child.on('exit', (code, signal) => {
      if (this.closed) return;
      const sig = signal === null ? undefined : signal;
      void this.finish(live, code ?? undefined, sig);
    });
    return id;
  }

  async stop(id: string, options: StopOptions = {}): Promise<ContainerStatus> {
    const live = this.get(id);
    if (live.record.finishedAt === undefined) {
      const grace = Math.max(0, options.gracePeriodSeconds ?? 30);
      const deadline = Date.now() + grace * 1000;
      if (options.preStop !== undefined && grace > 0) {
        await runHandler(options.preStop, {
          timeoutSeconds: grace,
          exec: (command, o) => this.exec(id, command, o),
        });
      }
      killGroup(live.record.pid, 'SIGTERM');
      // As kubelet: a preStop hook that used up the grace period still leaves 2 s after SIGTERM.
      const floor = options.preStop !== undefined && grace > 0 ? 2000 : 0;
      await within(live.exited, Math.max(floor, deadline - Date.now()));
      if (live.record.finishedAt === undefined && !live.finishing) {
        live.record.killed = true;
        this.saveRecord(live.record);
        killGroup(live.record.pid, 'SIGKILL');
      }
      await within(live.exited, 10_000);
    }
    return toContainerStatus(live.record);
  }

  status(id: string): Promise<ContainerStatus> {
    return settle(() => toContainerStatus(this.get(id).record));
  }

  list(): Promise<ContainerStatus[]> {
    return Promise.resolve([...this.live.values()].map((l) => toContainerStatus(l.record)));
  }

  /**
   * Resolves once the container has exited and its output is in the log. After `close()` it
   * resolves at once with whatever the status was.
   */
  async wait(id: string): Promise<ContainerStatus> {
    const live = this.get(id);
    await live.exited;
    return toContainerStatus(live.record);
  }

  logs(id: string, options: LogOptions = {}): Promise<Readable> {
    return settle(() => this.openLogs(id, options));
  }

  private openLogs(id: string, options: LogOptions): Readable {
    const live = this.get(id);
    if (options.previous !== true) {
      const running = live.writer !== undefined && !live.writer.isClosed ? live.writer : undefined;
      return openLogStream(live.record.logDir, live.record.spec.attempt, running, options);
    }
    // The previous attempt's log file outlives its container record (the agent may have removed it).
    const { logDir, spec } = live.record;
    const prev = spec.attempt - 1;
    if (prev < 0 || !existsSync(logFilePath(logDir, prev)))
      throw previousNotFound(spec.containerName, spec.podName);
    return openLogStream(logDir, prev, undefined, options);
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
        const live = this.live.get(id);
        return live === undefined ? [] : [{ id, record: live.record }];
      });
      const scanned = known.filter((k) => k.record.cgroup === undefined && k.record.finishedAt === undefined);
      const groups = groupUsages(scanned.map((k) => k.record.pid));
      return new Map(known.map((k) => [k.id, this.usageOf(k.record, groups.get(k.record.pid))]));
    });
  }

  private usage(id: string): ContainerStats {
    const record = this.get(id).record;
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
    const { spec, pid } = (await settle(() => this.get(id))).record;
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
    const { spec, pid, finishedAt } = (await settle(() => this.get(id))).record;
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
    this.get(id);
    return Promise.resolve(this.stdin.open(id));
  }

  async remove(id: string): Promise<void> {
    const live = this.live.get(id);
    if (live === undefined) return;
    if (live.record.finishedAt === undefined) await this.stop(id, { gracePeriodSeconds: 0 });
    this.live.delete(id);
    this.stdin.drop(id);
    this.records.delete(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const live of this.live.values()) {
      if (live.poll !== undefined) clearInterval(live.poll);
      live.pump?.detach();
      live.writer?.close();
      live.child?.unref();
      live.resolveExited();
    }
    await Promise.resolve();
  }

  private get(id: string): Live {
    const live = this.live.get(id);
    if (live === undefined) throw containerNotFound(id);
    return live;
  }

  private track(record: ContainerRecord, writer?: LogWriter, pump?: FifoPump): Live {
    let resolveExited!: () => void;
    const exited = new Promise<void>((r) => (resolveExited = r));
    const live: Live = { record, exited, resolveExited, finishing: false };
    if (writer !== undefined) live.writer = writer;
    if (pump !== undefined) live.pump = pump;
    this.live.set(record.id, live);
    if (record.finishedAt !== undefined) resolveExited();
    return live;
  }

  /** Re-attaches to a container a previous runtime started: its pipes, its log, its exit. */
  private adopt(record: ContainerRecord): void {
    if (record.finishedAt !== undefined) {
      this.track(record);
      return;
    }
    const paths = this.records.paths(record.id);
    this.stdin.adopt(record.id, paths.stdinFifo, record.spec);
    let writer: LogWriter | undefined;
    let pump: FifoPump | undefined;
    try {
      writer = this.logWriter(record.logDir, record.spec);
      // The pipes exist since start; if someone deleted them, the output cannot be re-attached.
      pump = new FifoPump(paths.stdoutFifo, paths.stderrFifo, writer);
    } catch (err) {
      // Output waits in the pipes (the container blocks once they are full) for a later runtime.
      if (writer === undefined) this.report('log', record.spec, err);
      pump = undefined;
    }
    const live = this.track(record, writer, pump);
    const check = (): void => {
      if (!isProcessAlive(record.pid, record.procStartTime)) void this.finish(live, undefined, undefined);
    };
    live.poll = setInterval(check, this.options.pollMs ?? 200);
    check();
  }

  private logWriter(dir: string, spec: ContainerSpec): LogWriter {
    const writer = new LogWriter(dir, spec.attempt, this.options.rotation);
    writer.on('writeError', (err: unknown) => this.report('log', spec, err));
    return writer;
  }

  /** Saves a record whose change is already in effect; a refused write is reported, not thrown. */
  private saveRecord(record: ContainerRecord): void {
    try {
      this.records.save(record);
    } catch (err) {
      this.report('record', record.spec, err);
    }
  }

  private report(what: DiskFailure['what'], spec: ContainerSpec, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.options.onDiskError?.({ what, spec, error });
  }

  /** The wrapper exited: kill what is left of the group, drain the log, record why it ended. */
  private async finish(
    live: Live,
    code: number | undefined,
    signal: NodeJS.Signals | undefined,
  ): Promise<void> {
    if (live.finishing || live.record.finishedAt !== undefined) return;
    live.finishing = true;
    if (live.poll !== undefined) clearInterval(live.poll);
    const { record } = live;
    this.stdin.drop(record.id);
    killGroup(record.pid, 'SIGKILL');
    live.pump?.finish();
    if (live.pump !== undefined) await within(live.pump.done, 2000);
    live.pump?.detach();
    live.writer?.close();
    const exit = interpretExit({
      exitFileCode: this.records.readExitCode(record.id),
      wrapperCode: code,
      wrapperSignalled: signal !== undefined,
      killed: record.killed === true,
      oomKilled: record.cgroup !== undefined && Cgroups.oomKilled(record.cgroup),
    });
    record.exitCode = exit.exitCode;
    if (exit.signal !== undefined) record.signal = exit.signal;
    record.reason = exit.reason;
    record.finishedAt = nowIso();
    if (record.cgroup !== undefined) await Cgroups.remove(record.cgroup);
    if (!this.closed) this.saveRecord(record);
    live.resolveExited();
  }
}
