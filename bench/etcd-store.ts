/**
 * The etcd store's figure: API creates/s of a `stratus server --store etcd://…` child, against
 * raw puts on the same etcd (Debian's 3.4, one member on loopback, its v3 JSON gateway) at the
 * same concurrency, in one run. Both write ConfigMap-sized values; the API's creates go through
 * authentication, admission, the encryption layer and a create transaction, the raw puts do not.
 * The etcd puts run first and last, and the ratio uses their mean, so neither side gets the
 * fresher etcd. A second row runs the same creates on a `stratus server` on SQLite in the same
 * run, against the same puts: what the API costs without etcd. Every loop is bounded in count
 * and time.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNamespaces, stratusCrud } from './api-crud.js';
import { startStratus } from './api.js';
import { CONCURRENCY, loadPhase, stop, withPeer } from './api-tools.js';
import { ETCD, etcdAgent, etcdTarget, startEtcd } from './etcd-peer.js';
import type { BenchResult } from './result.js';

const CREATES = 4000;

/** Creates/s of a fresh `stratus server` on SQLite, measured as on etcd (warm-up included). */
async function createsOnSqlite(dataDir: string, agent: Agent): Promise<number> {
  const s = await startStratus(dataDir);
  try {
    const endpoint = { url: s.url, token: s.token };
    await ensureNamespaces(endpoint, agent, ['warm', 'plain']);
    const warm = stratusCrud(endpoint, 'warm', agent);
    await loadPhase(1000, (i) => warm.create(i));
    const plain = stratusCrud(endpoint, 'plain', agent);
    return (await loadPhase(CREATES, (i) => plain.create(i))).rate;
  } finally {
    await stop(s.child);
  }
}

/** Runs the etcd store benchmark; see the module comment. */
export async function benchEtcdStore(): Promise<BenchResult[]> {
  if (!existsSync(ETCD)) {
    console.error(`etcd-store bench: ${ETCD} not installed, skipped`);
    return [];
  }
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-etcd-'));
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const peerAgent = etcdAgent();
  let etcd: ChildProcess | undefined;
  let stratus: ChildProcess | undefined;
  try {
    const e = await startEtcd(dir);
    etcd = e.child;
    const store = `etcd://${e.url.slice('http://'.length)}`;
    const s = await startStratus(join(dir, 'stratus'), ['--store', store]);
    stratus = s.child;
    const endpoint = { url: s.url, token: s.token };
    await ensureNamespaces(endpoint, agent, ['warm', 'plain']);
    // Untimed warm-up of both paths (JIT, connections).
    const warm = stratusCrud(endpoint, 'warm', agent);
    await loadPhase(1000, (i) => warm.create(i));
    await loadPhase(1000, (i) => etcdTarget(e.url, 'warm', peerAgent).create(i));
    const before = (await loadPhase(CREATES, (i) => etcdTarget(e.url, 'raw1', peerAgent).create(i))).rate;
    const plain = stratusCrud(endpoint, 'plain', agent);
    const api = (await loadPhase(CREATES, (i) => plain.create(i))).rate;
    const after = (await loadPhase(CREATES, (i) => etcdTarget(e.url, 'raw2', peerAgent).create(i))).rate;
    await stop(stratus);
    stratus = undefined;
    const sqlite = await createsOnSqlite(join(dir, 'sqlite'), agent);
    return [
      withPeer(
        {
          name: `api creates/s on the etcd store (${CONCURRENCY} clients, HTTP)`,
          value: api,
          unit: 'ops/s',
          goal: '>= 0.7x etcd puts',
        },
        (before + after) / 2,
        true,
      ),
      withPeer(
        {
          name: `api creates/s on SQLite, same run (${CONCURRENCY} clients, HTTP)`,
          value: sqlite,
          unit: 'ops/s',
          goal: '-',
        },
        (before + after) / 2,
        true,
      ),
    ];
  } finally {
    agent.destroy();
    peerAgent.destroy();
    if (stratus !== undefined) await stop(stratus);
    if (etcd !== undefined) await stop(etcd);
    await rm(dir, { recursive: true, force: true });
  }
}
