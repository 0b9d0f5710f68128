import { readdirSync, readFileSync } from 'node:fs';

/** The fields of `/proc/<pid>/stat` the runtime needs. */
export interface ProcStat {
  state: string;
  pgrp: number;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
  /** Start time in clock ticks since boot: with the pid, it identifies a process across pid reuse. */
  startTime: string;
  rssPages: number;
}

/** Linux reports times in USER_HZ ticks, 100 on every mainstream architecture. */
const CLK_TCK = 100;
/** Page size assumed for RSS; 4 KiB on x86-64 and the usual arm64 kernels. */
const PAGE_SIZE = 4096;

/** Reads `/proc/<pid>/stat`; undefined when the process does not exist (or there is no procfs). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself hold spaces or parentheses.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state); field n is f[n - 3].
  return {
    state: f[0] ?? '?',
    pgrp: Number(f[2]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTime: f[19] ?? '',
    rssPages: Number(f[21]),
  };
}

/** True when procfs is there to identify processes. */
export function hasProcfs(): boolean {
  return readProcStat(process.pid) !== undefined;
}

/**
 * True while the process `pid` that started at `startTime` is alive (not a zombie). Without
 * procfs it falls back to signal 0, which cannot tell a reused pid apart.
 */
export function isProcessAlive(pid: number, startTime: string | undefined): boolean {
  const stat = readProcStat(pid);
  if (stat === undefined) {
    if (hasProcfs()) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || startTime === '' || stat.startTime === startTime;
}

/** The live pids of a process group, by scanning procfs. */
export function groupPids(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const stat = readProcStat(Number(e));
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z') out.push(Number(e));
  }
  return out;
}

/** CPU seconds and resident bytes summed over a process group: the stats without cgroups. */
export function groupUsage(pgid: number): { cpuSeconds: number; memoryBytes: number } {
  return groupUsages([pgid]).get(pgid) ?? { cpuSeconds: 0, memoryBytes: 0 };
}

/**
 * The usage of several process groups from one scan of procfs (each scan reads every process's
 * stat, so the agent's sampling reads it once per round, not once per container).
 */
export function groupUsages(
  pgids: readonly number[],
): Map<number, { cpuSeconds: number; memoryBytes: number }> {
  const totals = new Map(pgids.map((g) => [g, { ticks: 0, pages: 0 }]));
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    // no procfs: nothing counted
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const stat = readProcStat(Number(e));
    const total = stat === undefined || stat.state === 'Z' ? undefined : totals.get(stat.pgrp);
    if (stat === undefined || total === undefined) continue;
    total.ticks += stat.cpuTicks;
    total.pages += stat.rssPages;
  }
  return new Map(
    [...totals].map(([g, t]) => [g, { cpuSeconds: t.ticks / CLK_TCK, memoryBytes: t.pages * PAGE_SIZE }]),
  );
}
