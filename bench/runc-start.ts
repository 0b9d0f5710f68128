/**
 * Container start to first output (issue 11): the median over 50 runs of `echo hi` in a busybox
 * root file system, from the call that starts it to the first byte of its output, on the Stratus
 * runc runtime (`RuncRuntime.start`, then its log followed) against Debian's Podman running the
 * same folder (`podman run --rm --rootfs DIR:O`, overlay as ours, on runc) in the same run. Goal:
 * at most half Podman's time.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuncRuntime } from '../src/runtime/index.js';
import { buildHostImage } from '../src/runtime/testing.js';
import { runcMissing } from '../src/runtime/testing.js';
import type { BenchResult } from './result.js';

const RUNS = 50;
/** Debian's Podman. */
export const PODMAN = '/usr/bin/podman';
/**
 * What Podman needs on this machine to run as we do: runc (its crun refuses the hybrid cgroup
 * layout), the host's network, and ulimits it can set.
 */
export const PODMAN_RUNC = [
  '--runtime',
  'runc',
  '--network',
  'host',
  '--ulimit',
  'nofile=1024:1024',
  '--ulimit',
  'nproc=1024:1024',
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** ms from `start()` to the first byte in the container's log, per run. */
async function stratusRuns(layerDir: string, dataDir: string): Promise<number[]> {
  const rt = new RuncRuntime({
    dataDir,
    defaultImage: { reference: 'bench/busybox', digest: '', config: {}, layerDirs: [layerDir] },
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS + 3; i++) {
      const t0 = performance.now();
      const id = await rt.start({
        podUid: `bench-${i}`,
        podNamespace: 'bench',
        podName: `start-${i}`,
        containerName: 'main',
        attempt: 0,
        command: ['/bin/echo', 'hi'],
        env: {},
      });
      const log = await rt.logs(id, { follow: true });
      await new Promise<void>((resolve) => log.once('data', () => resolve()));
      const ms = performance.now() - t0;
      log.destroy();
      if (i >= 3) times.push(ms);
      await rt.wait(id);
      await rt.remove(id);
    }
  } finally {
    for (const c of await rt.list()) await rt.remove(c.id);
    await rt.close();
  }
  return times;
}

/** ms from spawning `podman run` to its first byte of stdout, per run. */
async function podmanRuns(layerDir: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
    const t0 = performance.now();
    const child = spawn(
      PODMAN,
      ['run', '--rm', ...PODMAN_RUNC, '--rootfs', `${layerDir}:O`, '/bin/echo', 'hi'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const first = new Promise<number>((resolve) =>
      child.stdout.once('data', () => resolve(performance.now() - t0)),
    );
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    if (code !== 0) throw new Error(`podman run exited ${code ?? 'by a signal'}`);
    if (i >= 3) times.push(await first);
  }
  return times;
}

/** Runs the benchmark; Podman missing (or not root) leaves the peer out with a note. */
export async function benchRuncStart(): Promise<BenchResult[]> {
  const missing = runcMissing();
  if (missing !== undefined) {
    console.error(`runc-start: skipped (${missing})`);
    return [];
  }
  const image = buildHostImage();
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-runc-'));
  try {
    const busybox = image.image.layerDirs[0] ?? '';
    const ours = median(await stratusRuns(busybox, join(dir, 'runc')));
    const result: BenchResult = {
      name: 'runc: container start to first output (median)',
      value: ours,
      unit: 'ms',
    };
    if (existsSync(PODMAN)) {
      const peer = median(await podmanRuns(busybox));
      result.peer = { name: 'podman run', value: peer };
      result.ratio = ours / peer;
      result.goal = '<= 0.5 of podman';
    } else console.error(`runc-start: ${PODMAN} missing (apt-get install podman): no peer`);
    return [result];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    image.close();
  }
}
