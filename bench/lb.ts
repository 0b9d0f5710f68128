/**
 * Load-balancer benchmark (issue 10): one run, side by side, `wrk -t2 -c64` against the same two
 * Node upstreams, rounds interleaved, medians reported: direct to one upstream; HAProxy 2.6
 * hand-written (2 threads, L7 round robin); nginx (2 workers, keep-alive upstream); the Stratus
 * `node` driver (worker threads), the same engine as two one-thread processes (the
 * alternative to threads: two `wrk -t1 -c32` at once, one per process), and the `haproxy` driver; Stratus' userspace L4 against HAProxy `mode tcp`. Then the RSS of the node
 * driver (and of HAProxy) holding 10,000 open client connections. Every process is a child, so
 * CPU and memory are their own; the machine's load average is printed before and after, since
 * the VM is shared. `STRATUS_BENCH_LB_SECONDS` (default 8) and `STRATUS_BENCH_LB_ROUNDS`
 * (default 3) size it; the defaults take about 4 minutes.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findHaproxy } from '../src/network/haproxy/haproxy-process.js';
import { findNft } from '../src/network/index.js';
import { haproxyConfig, nginxConfig, writeConfig } from './lb-peers.js';
import { holdConnections, processRss } from './lb-clients.js';
import { freePort } from '../src/common/free-port.js';
import { median, start, wrk, type Run } from './lb-wrk.js';
import type { BenchResult } from './result.js';

const SECONDS = Number(process.env.STRATUS_BENCH_LB_SECONDS ?? 8);
const ROUNDS = Number(process.env.STRATUS_BENCH_LB_ROUNDS ?? 3);
const CONNECTIONS = 10_000;

/** Runs the benchmark (see the file comment). */
export async function benchLb(): Promise<BenchResult[]> {
  const haproxy = findHaproxy();
  const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
  if (spawnSync('wrk', ['-v']).error !== undefined || haproxy === undefined || nginx === undefined) {
    throw new Error('the lb benchmark needs wrk, haproxy and nginx (make system-deps installs them as root)');
  }
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-lb-'));
  const children: ChildProcess[] = [];
  const node = (script: string, ...args: Array<string | number>) =>
    [process.execPath, [new URL(script, import.meta.url).pathname, ...args.map(String)]] as const;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  try {
    const ups = [await freePort(), await freePort()];
    for (const p of ups) await start(children, ...node('./lb-upstream.js', p));
    const p = Object.fromEntries(
      await Promise.all(
        [
          'haproxy',
          'haproxyTcp',
          'nginx',
          'node',
          'nodeTcp',
          'driver',
          'one',
          'oneTcp',
          'two',
          'twoTcp',
          'nft',
        ].map(async (k) => [k, await freePort()]),
      ),
    ) as Record<string, number>;
    const hp = await start(
      children,
      haproxy,
      ['-db', '-f', await writeConfig(dir, 'h.cfg', haproxyConfig('http', p.haproxy!, ups))],
      p.haproxy,
    );
    await start(
      children,
      haproxy,
      ['-db', '-f', await writeConfig(dir, 't.cfg', haproxyConfig('tcp', p.haproxyTcp!, ups))],
      p.haproxyTcp,
    );
    await start(
      children,
      nginx,
      ['-p', `${dir}/`, '-c', await writeConfig(dir, 'n.conf', nginxConfig(dir, p.nginx!, ups))],
      p.nginx,
    );
    const stratus = await start(children, ...node('./lb-stratus.js', 'node', p.node!, p.nodeTcp!, ...ups));
    await start(children, ...node('./lb-stratus.js', 'haproxy', p.driver!, 0, ...ups));
    const one = await start(children, ...node('./lb-stratus.js', 'node1', p.one!, p.oneTcp!, ...ups));
    const two = await start(children, ...node('./lb-stratus.js', 'node1', p.two!, p.twoTcp!, ...ups));
    const nft = findNft();
    if ('missing' in nft) console.error(`lb: no nftables row: ${nft.missing}`);
    else await start(children, ...node('./lb-stratus.js', 'nftables', 0, p.nft!, ...ups));
    const rows: Array<[string, number[]]> = [
      ['direct', [ups[0]!]],
      ['haproxy', [p.haproxy!]],
      ['nginx', [p.nginx!]],
      ['stratus node driver', [p.node!]],
      ['stratus node, 2 processes', [p.one!, p.two!]],
      ['stratus haproxy driver', [p.driver!]],
      ['haproxy mode tcp', [p.haproxyTcp!]],
      ['stratus L4', [p.nodeTcp!]],
      ...('missing' in nft ? [] : [['stratus nftables L4', [p.nft!]] as [string, number[]]]),
    ];
    const runs = new Map<string, Run[]>(rows.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, ports] of rows) {
        await wrk(ports, 2);
        const run = await wrk(ports, SECONDS);
        runs.get(name)?.push(run);
        console.error(
          `lb round ${round + 1} ${name}: ${run.rps.toFixed(0)} req/s p50 ${run.p50} ms p99 ${run.p99} ms ${run.errors}`,
        );
      }
    }
    const med = (name: string, k: keyof Omit<Run, 'errors'>): number =>
      median((runs.get(name) ?? []).map((r) => r[k]));
    for (const [name] of rows) {
      const rs = (runs.get(name) ?? []).map((r) => r.rps);
      console.error(
        `lb median ${name.padEnd(36)} ${med(name, 'rps').toFixed(0).padStart(7)} req/s (${Math.min(...rs).toFixed(0)}–${Math.max(...rs).toFixed(0)}) p50 ${med(name, 'p50').toFixed(2)} ms p99 ${med(name, 'p99').toFixed(2)} ms`,
      );
    }
    const rssNode = await holdConnections(p.node!, CONNECTIONS, () => processRss([stratus.pid!]));
    const rssTwo = await holdConnections(p.one!, CONNECTIONS, () => processRss([one.pid!, two.pid!]));
    const rssHaproxy = await holdConnections(p.haproxy!, CONNECTIONS, () => processRss([hp.pid!]));
    console.error(
      `lb load average before: ${load}, after: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    const ratio = (a: string, b: string, k: 'rps' | 'p99'): number => med(a, k) / med(b, k);
    const result = (
      name: string,
      row: string,
      peer: string,
      k: 'rps' | 'p99',
      goal: string,
    ): BenchResult => ({
      name,
      value: med(row, k),
      unit: k === 'rps' ? 'req/s' : 'ms',
      peer: { name: peer, value: med(peer, k) },
      ratio: ratio(row, peer, k),
      goal,
    });
    return [
      { name: 'lb direct (one upstream) req/s', value: med('direct', 'rps'), unit: 'req/s' },
      result('lb nginx req/s', 'nginx', 'haproxy', 'rps', '-'),
      result('lb haproxy driver req/s', 'stratus haproxy driver', 'haproxy', 'rps', '>= 0.95x HAProxy'),
      result('lb haproxy driver p99', 'stratus haproxy driver', 'haproxy', 'p99', '<= 1.1x HAProxy'),
      result('lb node driver req/s', 'stratus node driver', 'haproxy', 'rps', '>= 0.5x HAProxy'),
      result('lb node driver p99', 'stratus node driver', 'haproxy', 'p99', '<= 2x HAProxy'),
      result(
        'lb node as 2 one-thread processes req/s',
        'stratus node, 2 processes',
        'stratus node driver',
        'rps',
        '-',
      ),
      result('lb L4 req/s', 'stratus L4', 'haproxy mode tcp', 'rps', '>= 0.9x HAProxy tcp'),
      ...('missing' in nft
        ? []
        : [result('lb nftables L4 req/s', 'stratus nftables L4', 'direct', 'rps', '>= 0.95x direct')]),
      {
        name: `lb node driver RSS, ${CONNECTIONS} connections`,
        value: rssNode,
        unit: 'MB',
        peer: { name: 'haproxy', value: rssHaproxy },
        ratio: rssNode / rssHaproxy,
        goal: '<= 80 MB',
      },
      { name: `lb node as 2 processes RSS, ${CONNECTIONS} connections`, value: rssTwo, unit: 'MB' },
    ];
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}
