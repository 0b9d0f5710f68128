/**
 * Changes under load (issue 10): `wrk -t2 -c64` for 10 s while a load balancer takes nine
 * changes, one a second, and every failed request is counted (socket errors and non-2xx). The
 * peers reloaded by hand as their users do it: HAProxy in master-worker mode (`-W`, SIGUSR2)
 * and nginx (SIGHUP), same configurations as `lb.ts`. Stratus takes what a rollout makes: the
 * first of the two upstreams leaves (terminating, drained) and comes back, and the HTTP
 * listener's connect timeout changes, which the `haproxy` driver applies by a reload and the
 * `node` driver in place (`lb-stratus.ts`, SIGUSR2). About 50 s.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findHaproxy } from '../src/network/haproxy/haproxy-process.js';
import { freePort } from '../src/common/free-port.js';
import { haproxyConfig, nginxConfig, writeConfig } from './lb-peers.js';
import { start, wrk } from './lb-wrk.js';
import type { BenchResult } from './result.js';

const SECONDS = 10;
const CHANGES = 9;

/** wrk against `port` while `signal` goes to `child` once a second, nine times. */
async function underChanges(name: string, port: number, child: ChildProcess, signal: NodeJS.Signals) {
  let sent = 0;
  const timer = setInterval(() => {
    if (sent++ < CHANGES) child.kill(signal);
  }, 1000);
  try {
    const run = await wrk([port], SECONDS);
    console.error(
      `lb-reload ${name}: ${run.rps.toFixed(0)} req/s, ${run.failed} failed (${run.errors || 'no errors'})`,
    );
    return run;
  } finally {
    clearInterval(timer);
  }
}

export async function benchLbReload(): Promise<BenchResult[]> {
  const haproxy = findHaproxy();
  const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
  if (spawnSync('wrk', ['-v']).error !== undefined || haproxy === undefined || nginx === undefined) {
    throw new Error(
      'the lb-reload benchmark needs wrk, haproxy and nginx (make system-deps installs them as root)',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-reload-'));
  const children: ChildProcess[] = [];
  const node = (script: string, ...args: Array<string | number>) =>
    [process.execPath, [new URL(script, import.meta.url).pathname, ...args.map(String)]] as const;
  try {
    const ups = [await freePort(), await freePort()];
    for (const p of ups) await start(children, ...node('./lb-upstream.js', p));
    const [hp, ng, nd, dr] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const master = await start(
      children,
      haproxy,
      ['-W', '-db', '-f', await writeConfig(dir, 'h.cfg', haproxyConfig('http', hp, ups))],
      hp,
    );
    const nginxMaster = await start(
      children,
      nginx,
      ['-p', `${dir}/`, '-c', await writeConfig(dir, 'n.conf', nginxConfig(dir, ng, ups))],
      ng,
    );
    const nodeDriver = await start(children, ...node('./lb-stratus.js', 'node', nd, 0, ...ups));
    const haproxyDriver = await start(children, ...node('./lb-stratus.js', 'haproxy', dr, 0, ...ups));
    const runs = {
      haproxy: await underChanges('HAProxy -W, SIGUSR2 by hand', hp, master, 'SIGUSR2'),
      nginx: await underChanges('nginx, SIGHUP by hand', ng, nginxMaster, 'SIGHUP'),
      node: await underChanges('Stratus node driver, endpoint and option changes', nd, nodeDriver, 'SIGUSR2'),
      driver: await underChanges(
        'Stratus haproxy driver, changes with reloads',
        dr,
        haproxyDriver,
        'SIGUSR2',
      ),
    };
    const failed = (name: string, value: number, goal?: string): BenchResult => ({
      name: `lb ${CHANGES} changes under load: ${name} failed requests`,
      value,
      unit: 'requests',
      peer: { name: 'HAProxy reloaded by hand', value: runs.haproxy.failed },
      ...(goal === undefined ? {} : { goal }),
    });
    return [
      failed('Stratus node driver', runs.node.failed, '0'),
      failed('Stratus haproxy driver', runs.driver.failed, '0'),
      failed('nginx reloaded by hand', runs.nginx.failed),
    ];
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}
