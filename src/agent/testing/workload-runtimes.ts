/**
 * Test support: the workloads acceptance tests run one body on each runtime. `process` always
 * runs; `runc` runs where root, runc, tini-static, busybox-static and overlayfs are there, and is
 * otherwise skipped with the reason printed (a failure under CI=true). On runc the pods name the
 * `runc` RuntimeClass and run the host-built test image (busybox with the host's Node.js at the
 * same path), so the tests' `node -e` scripts run unchanged in containers.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildHostImage, runcMissing, type HostImage } from '../../runtime/testing.js';
import type { AgentOptions } from '../agent.js';

/** The runtimes every workloads acceptance test runs on. */
export const WORKLOAD_RUNTIMES = ['process', 'runc'] as const;
/** One of `WORKLOAD_RUNTIMES`. */
export type WorkloadRuntime = (typeof WORKLOAD_RUNTIMES)[number];

/**
 * Why the tests cannot run on `runtime` here, or undefined when they can; under CI=true a missing
 * part throws, and otherwise the reason is printed, so a skip never goes unnoticed.
 */
export function runtimeSkip(runtime: WorkloadRuntime, what: string): string | undefined {
  if (runtime === 'process') return undefined;
  const why = runcMissing();
  if (why === undefined) return undefined;
  if (process.env['CI'] === 'true') throw new Error(`${what} on runc ${why}`);
  process.stderr.write(`skipping ${what} on runc: ${why}\n`);
  return why;
}

/** What a test adds for its runtime: the agent's options, the pod spec's fields; `close()` after. */
export interface RuntimeFixture {
  runtime: WorkloadRuntime;
  /** Options for `AgentCluster.agent` (the runc runtime on the host-built image). */
  agent: Partial<AgentOptions>;
  /** Fields merged into every pod spec (`runtimeClassName: runc` on runc). */
  podSpec: Record<string, unknown>;
  close(): void;
}

/** The fixture of `runtime`: for runc, the host-built image (remove it with `close()`). */
export function runtimeFixture(runtime: WorkloadRuntime): RuntimeFixture {
  if (runtime === 'process') return { runtime, agent: {}, podSpec: {}, close: () => undefined };
  const image: HostImage = buildHostImage();
  return {
    runtime,
    agent: { runc: { defaultImage: image.image } },
    podSpec: { runtimeClassName: 'runc' },
    close: () => image.close(),
  };
}

/**
 * The host's pid of a container's process that calls itself `pid` (what it printed, in its own pid
 * namespace on runc), as `kill -9` from the host needs it. On `process` it is that pid; on runc
 * the process in the container's pid namespace (found from `runc state` of the container under
 * the agent's data dir) whose innermost pid is `pid`.
 */
export function hostPid(agentDataDir: string, containerID: string, pid: number): number {
  const m = /^(\w+):\/\/(.+)$/.exec(containerID);
  if (m === null) throw new RangeError(`not a container ID: "${containerID}"`);
  if (m[1] === 'process') return pid;
  const state = execFileSync('runc', ['--root', join(agentDataDir, 'runc', 'state'), 'state', m[2] ?? ''], {
    encoding: 'utf8',
  });
  const init = (JSON.parse(state) as { pid: number }).pid;
  const ns = readlinkSync(`/proc/${init}/ns/pid`);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue;
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (nspid?.trim().split(/\s+/).at(-1) === String(pid)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no process with pid ${pid} in container ${containerID}`);
}
