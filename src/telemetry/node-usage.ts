import { readFileSync } from 'node:fs';
import type { CumulativeUsage } from './resource-usage.js';

/** Linux reports `/proc/stat` in USER_HZ ticks, 100 on every mainstream architecture. */
const CLK_TCK = 100;

/**
 * The busy CPU seconds of the whole machine from the first line of `/proc/stat` (user, nice,
 * system, irq, softirq and steal; idle and iowait are not busy; guest time is already in user).
 */
export function parseProcStat(text: string): number | undefined {
  const line = text.split('\n', 1)[0] ?? '';
  const f = line.trim().split(/\s+/);
  if (f[0] !== 'cpu' || f.length < 8) return undefined;
  const n = (i: number): number => Number(f[i] ?? 0) || 0;
  return (n(1) + n(2) + n(3) + n(6) + n(7) + n(8)) / CLK_TCK;
}

/** The memory in use from `/proc/meminfo`: MemTotal − MemAvailable, in bytes. */
export function parseMeminfo(text: string): number | undefined {
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m === null ? undefined : Number(m[1]) * 1024;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return total === undefined || available === undefined ? undefined : total - available;
}

/**
 * The node's cumulative usage from `/proc` (the machine, not any cgroup: the process runtime's
 * pods, the agent and everything else on the host count, as the root cgroup counts them for
 * kubelet). Undefined where there is no procfs.
 */
export function readNodeUsage(procDir = '/proc'): CumulativeUsage | undefined {
  try {
    const cpu = parseProcStat(readFileSync(`${procDir}/stat`, 'utf8'));
    const memory = parseMeminfo(readFileSync(`${procDir}/meminfo`, 'utf8'));
    if (cpu === undefined || memory === undefined) return undefined;
    return { cpuSeconds: cpu, memoryBytes: memory };
  } catch {
    return undefined;
  }
}
