import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LogWriter, logFilePath, type LogRotation } from './container-log.js';
import { RecordStore, type ContainerRecord } from './container-record.js';
import { containerNotFound, previousNotFound } from './errors.js';
import { interpretExit, type ExitEvidence } from './exit-status.js';
import { FifoPump } from './fifo-pump.js';
import { openLogStream } from './log-stream.js';
import { runHandler } from './probe.js';
import { isProcessAlive } from './proc-stat.js';
import { within } from './promises.js';
import type { ContainerSpec, ExecResult, LogOptions, StopOptions } from './runtime.js';
import { StdinPipes } from './stdin-pipes.js';

/** A write the disk refused (see `LiveContainersOptions.onDiskError`). */
export interface DiskFailure {
  what: 'log' | 'record';
  /** The container it concerns (its pod's namespace, name and uid). */
  spec: ContainerSpec;
  error: Error;
}

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

/** A container a runtime watches: its record, its output pump and log, its exit. */
export interface Live<R extends ContainerRecord = ContainerRecord> {
  record: R;
  writer?: LogWriter;
  pump?: FifoPump;
  /** The wrapper, when this runtime started it (not when it adopted it). */
  child?: ChildProcess;
  poll?: NodeJS.Timeout;
  /** Resolves once the exit is recorded and the log complete, or at `close()`. */
  exited: Promise<void>;
  resolveExited: () => void;
  finishing: boolean;
}

/** Options of `LiveContainers`. */
export interface LiveContainersOptions {
  rotation?: LogRotation;
  /** How often adopted containers are checked for exit; default 200 ms. */
  pollMs?: number;
  /**
   * Told when the disk refuses one of the runtime's writes: a container's output (`log`: dropped
   * until writes succeed again; told once per failing spell) or its record (`record`: a start
   * fails, a stop or exit is kept in memory only). The runtime goes on either way.
   */
  onDiskError?: (failure: DiskFailure) => void;
}

/** How a runtime signals one container, for `LiveContainers.stop`. */
export interface StopHooks {
  /** Runs the preStop exec handler in the container. */
  exec: (command: string[], options: { timeoutSeconds?: number }) => Promise<ExecResult>;
  /** Where httpGet/tcpSocket preStop hooks connect; default localhost. */
  host?: string;
  term: () => unknown;
  kill: () => unknown;
}

/**
 * The bookkeeping every runtime whose containers are wrapper processes shares: the table of live
 * containers with their records on disk, re-attaching (adopting) the containers a previous
 * runtime started on the same data directory, their logs, graceful stop, and recording an exit.
 * What differs per runtime — how a container is signalled, what its exit leaves to read and clean
 * (runc's OOM counter and `runc delete`) — is passed in by the runtime.
 */
export class LiveContainers<R extends ContainerRecord> {
  readonly records: RecordStore;
  /** The stdin pipes of containers whose spec asks for one. */
  readonly stdin = new StdinPipes();
  private readonly live = new Map<string, Live<R>>();
  closed = false;

  constructor(
    dataDir: string,
    private readonly options: LiveContainersOptions,
  ) {
    this.records = new RecordStore(dataDir);
  }

  get(id: string): Live<R> {
    const live = this.live.get(id);
    if (live === undefined) throw containerNotFound(id);
    return live;
  }

  find(id: string): Live<R> | undefined {
    return this.live.get(id);
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  all(): Live<R>[] {
    return [...this.live.values()];
  }

  /** Forgets a container: its entry, its stdin pipe and its files under `containers/`. */
  forget(id: string): void {
    this.live.delete(id);
    this.stdin.drop(id);
    this.records.delete(id);
  }

  track(record: R, writer?: LogWriter, pump?: FifoPump): Live<R> {
    let resolveExited!: () => void;
    const exited = new Promise<void>((r) => (resolveExited = r));
    const live: Live<R> = { record, exited, resolveExited, finishing: false };
    if (writer !== undefined) live.writer = writer;
    if (pump !== undefined) live.pump = pump;
    this.live.set(record.id, live);
    if (record.finishedAt !== undefined) resolveExited();
    return live;
  }

  /**
   * Re-attaches to a container a previous runtime started: its pipes, its log, and a poll of its
   * wrapper's pid that calls `onExit` once the wrapper is gone.
   */
  adopt(record: R, onExit: (live: Live<R>) => void): void {
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
      if (!isProcessAlive(record.pid, record.procStartTime)) onExit(live);
    };
    live.poll = setInterval(check, this.options.pollMs ?? 200);
    check();
  }

  logWriter(dir: string, spec: ContainerSpec): LogWriter {
    const writer = new LogWriter(dir, spec.attempt, this.options.rotation);
    writer.on('writeError', (err: unknown) => this.report('log', spec, err));
    return writer;
  }

  /** Saves a record whose change is already in effect; a refused write is reported, not thrown. */
  saveRecord(record: R): void {
    try {
      this.records.save(record);
    } catch (err) {
      this.report('record', record.spec, err);
    }
  }

  report(what: DiskFailure['what'], spec: ContainerSpec, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.options.onDiskError?.({ what, spec, error });
  }

  /** The container's log (this attempt's, or with `previous` the attempt before). */
  logs(id: string, options: LogOptions): Readable {
    const live = this.get(id);
    const { logDir, spec } = live.record;
    if (options.previous !== true) {
      const running = live.writer !== undefined && !live.writer.isClosed ? live.writer : undefined;
      return openLogStream(logDir, spec.attempt, running, options);
    }
    // The previous attempt's log file outlives its container record (the agent may have removed it).
    const prev = spec.attempt - 1;
    if (prev < 0 || !existsSync(logFilePath(logDir, prev)))
      throw previousNotFound(spec.containerName, spec.podName);
    return openLogStream(logDir, prev, undefined, options);
  }

  /** preStop, `term`, the grace period, then `kill` (the record remembers it); resolves on exit. */
  async stop(live: Live<R>, options: StopOptions, hooks: StopHooks): Promise<void> {
    if (live.record.finishedAt !== undefined) return;
    const grace = Math.max(0, options.gracePeriodSeconds ?? 30);
    const deadline = Date.now() + grace * 1000;
    if (options.preStop !== undefined && grace > 0) {
      await runHandler(options.preStop, {
        timeoutSeconds: grace,
        exec: hooks.exec,
        ...(hooks.host !== undefined ? { host: hooks.host } : {}),
      });
    }
    await hooks.term();
    // As kubelet: a preStop hook that used up the grace period still leaves 2 s after SIGTERM.
    const floor = options.preStop !== undefined && grace > 0 ? 2000 : 0;
    await within(live.exited, Math.max(floor, deadline - Date.now()));
    if (live.record.finishedAt === undefined && !live.finishing) {
      live.record.killed = true;
      this.saveRecord(live.record);
      await hooks.kill();
    }
    await within(live.exited, 10_000);
  }

  /**
   * Begins recording an exit: false when one is already under way or done. Stops the poll of an
   * adopted container.
   */
  beginFinish(live: Live<R>): boolean {
    if (live.finishing || live.record.finishedAt !== undefined) return false;
    live.finishing = true;
    if (live.poll !== undefined) clearInterval(live.poll);
    return true;
  }

  /** The container is gone: reads what is left in its pipes into its log, then closes both. */
  async drainLog(live: Live<R>): Promise<void> {
    live.pump?.finish();
    if (live.pump !== undefined) await within(live.pump.done, 2000);
    live.pump?.detach();
    live.writer?.close();
  }

  /** Records the exit from the runtime's evidence and the exit file, and wakes `wait`ers. */
  complete(live: Live<R>, evidence: Omit<ExitEvidence, 'exitFileCode' | 'killed'>): void {
    const { record } = live;
    const exit = interpretExit({
      ...evidence,
      exitFileCode: this.records.readExitCode(record.id),
      killed: record.killed === true,
    });
    record.exitCode = exit.exitCode;
    if (exit.signal !== undefined) record.signal = exit.signal;
    record.reason = exit.reason;
    record.finishedAt = new Date().toISOString();
    if (!this.closed) this.saveRecord(record);
    live.resolveExited();
  }

  /** Stops watching: polls, pumps and logs closed, waiters released; containers keep running. */
  close(): void {
    this.closed = true;
    for (const live of this.live.values()) {
      if (live.poll !== undefined) clearInterval(live.poll);
      live.pump?.detach();
      live.writer?.close();
      live.child?.unref();
      live.resolveExited();
    }
  }
}
