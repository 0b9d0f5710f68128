import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupRef } from './cgroups.js';
import type { ContainerSpec, ContainerStatus, TerminationReason } from './runtime.js';

/**
 * What the process runtime persists about a container in `<dataDir>/containers/<id>.json`, so a
 * restarted runtime adopts it. `procStartTime` (from /proc/PID/stat) tells the wrapper process
 * apart from a later process that got the same pid.
 */
export interface ContainerRecord {
  id: string;
  spec: ContainerSpec;
  logDir: string;
  pid: number;
  procStartTime: string;
  startedAt: string;
  cgroup?: CgroupRef;
  /** Set when stop escalated to SIGKILL, so an adopted container killed that way reads 137. */
  killed?: boolean;
  finishedAt?: string;
  exitCode?: number;
  signal?: number;
  reason?: TerminationReason;
}

/** The files of one container under the runtime's data directory. */
export interface ContainerPaths {
  record: string;
  exitFile: string;
  stdoutFifo: string;
  stderrFifo: string;
  /** The stdin pipe of a container whose spec asks `stdin: true`. */
  stdinFifo: string;
}

/** The on-disk table of container records; all writes are atomic renames, mode 0600 (env holds secrets). */
export class RecordStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'containers');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  paths(id: string): ContainerPaths {
    return {
      record: join(this.dir, `${id}.json`),
      exitFile: join(this.dir, `${id}.exit`),
      stdoutFifo: join(this.dir, `${id}.stdout`),
      stderrFifo: join(this.dir, `${id}.stderr`),
      stdinFifo: join(this.dir, `${id}.stdin`),
    };
  }

  /** Writes the record atomically; on failure (a full disk) the old record stays and this throws. */
  save(record: ContainerRecord): void {
    const file = this.paths(record.id).record;
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(record), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      rmSync(`${file}.tmp`, { force: true });
      throw err;
    }
  }

  /** Every readable record; a torn or foreign file is skipped. */
  loadAll(): ContainerRecord[] {
    const out: ContainerRecord[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      try {
        const rec = JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as ContainerRecord;
        if (typeof rec.id === 'string' && typeof rec.pid === 'number') out.push(rec);
      } catch {
        // a half-written record from a crash: nothing to adopt
      }
    }
    return out;
  }

  /** The exit code the wrapper wrote, when it lived to write one. */
  readExitCode(id: string): number | undefined {
    const file = this.paths(id).exitFile;
    if (!existsSync(file)) return undefined;
    const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isNaN(n) ? undefined : n;
  }

  delete(id: string): void {
    const p = this.paths(id);
    for (const f of [p.record, p.exitFile, p.stdoutFifo, p.stderrFifo, p.stdinFifo])
      rmSync(f, { force: true });
  }
}

/** The runtime-neutral status of a record. */
export function toContainerStatus(r: ContainerRecord): ContainerStatus {
  const s: ContainerStatus = {
    id: r.id,
    spec: r.spec,
    state: r.finishedAt === undefined ? 'running' : 'exited',
    pid: r.pid,
    startedAt: r.startedAt,
    limitsEnforced: r.cgroup !== undefined,
  };
  if (r.finishedAt !== undefined) s.finishedAt = r.finishedAt;
  if (r.exitCode !== undefined) s.exitCode = r.exitCode;
  if (r.signal !== undefined) s.signal = r.signal;
  if (r.reason !== undefined) s.reason = r.reason;
  return s;
}
