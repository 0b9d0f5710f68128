/**
 * Leader failover: two `stratus server` children on one etcd member (Debian's 3.4 on loopback);
 * the first holds the controller-manager Lease; it is killed with SIGKILL and the time until the
 * second logs that it acquired the Lease is measured, at Kubernetes' default timings (15 s lease,
 * 10 s renew deadline, 2 s retry) and at shortened ones (2 s, 1.5 s, 250 ms), `FAILOVER_RUNS`
 * times each (default 3; the worst is reported). The kill comes at a random moment of the
 * holder's renew cycle, once the standby has watched it renew. The peer is the lease duration
 * itself: a candidate may take the lease one duration after it saw the last renewal.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdCluster, etcdSkip } from '../src/store/testing.js';
import { OutputBuffer } from '../src/cli/cli-harness.js';
import type { BenchResult } from './result.js';

const MAIN_JS = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

async function failoverMs(timings: {
  lease: string;
  renew: string;
  retry: string;
  retryMs: number;
}): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-failover-'));
  const etcd = await EtcdCluster.start(1);
  const children: ChildProcessWithoutNullStreams[] = [];
  const server = (
    name: string,
  ): { child: ChildProcessWithoutNullStreams; stdout: OutputBuffer; stderr: OutputBuffer } => {
    const child = spawn(
      process.execPath,
      [
        MAIN_JS,
        'server',
        ...['--data-dir', join(dir, name), '--port', '0', '--s3-port', '0', '--store', etcd.url],
        ...['--server-name', name, '--leader-elect-lease-duration', timings.lease],
        ...['--leader-elect-renew-deadline', timings.renew, '--leader-elect-retry-period', timings.retry],
      ],
      { cwd: dir, env: { ...process.env, HOME: dir } },
    );
    children.push(child);
    return { child, stdout: new OutputBuffer(child.stdout), stderr: new OutputBuffer(child.stderr) };
  };
  try {
    const a = server('a');
    await a.stderr.waitFor(/acquired lease kube-system\/stratus-controller-manager/, 120_000);
    await cp(join(dir, 'a'), join(dir, 'b'), {
      recursive: true,
      filter: (src) => !src.endsWith('audit.log'),
    });
    const b = server('b');
    await b.stdout.waitFor(/export KUBECONFIG=/, 120_000);
    // A standby of some standing (it has seen the holder renew) and a kill at a random moment of
    // the holder's renew cycle, as a machine dies at any moment.
    await new Promise((r) => setTimeout(r, timings.retryMs * (2 + Math.random())));
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await b.stderr.waitFor(/b_\w+ acquired lease kube-system\/stratus-controller-manager/, 120_000);
    return Date.now() - killedAt;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(
      children.map((c) =>
        c.exitCode === null && c.signalCode === null
          ? new Promise<void>((r) => c.once('close', () => r()))
          : Promise.resolve(),
      ),
    );
    await etcd.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the failover benchmark; see the module comment. */
export async function benchLeaderFailover(): Promise<BenchResult[]> {
  if (etcdSkip) {
    console.log(`leader-failover: skipped (${etcdSkip})`);
    return [];
  }
  const results: BenchResult[] = [];
  const runs = Number(process.env['FAILOVER_RUNS'] ?? 3);
  for (const [label, t, leaseMs, goal] of [
    ['default timings', { lease: '15s', renew: '10s', retry: '2s', retryMs: 2000 }, 15_000, '<= 15 s'],
    ['shortened timings', { lease: '2s', renew: '1500ms', retry: '250ms', retryMs: 250 }, 2_000, '<= 3 s'],
  ] as const) {
    const each: number[] = [];
    for (let i = 0; i < runs; i++) each.push(await failoverMs(t));
    const ms = Math.max(...each);
    console.log(`leader-failover, ${label}: ${each.join(' ms, ')} ms`);
    results.push({
      name: `leader failover, ${label}, worst of ${runs} (ms)`,
      value: ms,
      unit: 'ms',
      peer: { name: 'lease duration', value: leaseMs },
      ratio: ms / leaseMs,
      goal,
    });
  }
  return results;
}
