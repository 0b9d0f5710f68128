/**
 * Authorization benchmark: the cost of RBAC on the API's hot paths. A fresh `stratus server`
 * child gets 1,000 RoleBindings (other users bound to `edit` in `default`), then gets/s and
 * creates/s of ConfigMaps are measured from 32 concurrent clients with the admin's token
 * (system:masters, decided before RBAC) and with a user who holds `edit` in `default` through a
 * RoleBinding, in alternating rounds (best of three each, as the machine is shared); the ratio
 * user/admin is the share of throughput RBAC leaves. On a shared machine throughput swings by
 * tens of percent between rounds, so the server's CPU time per request (from /proc, least of the
 * rounds) is measured too: the steadier figure of what authorization costs. Every loop is bounded
 * in count and time.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newToken, tokenSecret } from '../src/identity/index.js';
import { Agent } from 'node:http';
import { check, startStratus } from './api.js';
import { CONCURRENCY, cpuMs, loadPhase, send, stop } from './api-tools.js';
import type { BenchResult } from './result.js';

const BINDINGS = 1000;
const ROUNDS = Number(process.env.STRATUS_BENCH_AUTHZ_ROUNDS ?? 3);
const CREATES = 4000;
const GETS = 20_000;

/** Creates of ConfigMaps `<runId>-i` and gets of `bench-get` in `default` with a bearer token. */
function configMaps(url: string, token: string, runId: string, agent: Agent) {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const base = `${url}/api/v1/namespaces/default/configmaps`;
  const body = (i: number): string =>
    JSON.stringify({ metadata: { name: `${runId}-${i}` }, data: { k: 'v' } });
  return {
    create: (i: number) => send(base, agent, 'POST', headers, body(i)),
    get: () => send(`${base}/bench-get`, agent, 'GET', headers),
  };
}

/** ops/s of a bounded load phase. */
async function rate(total: number, op: (i: number) => Promise<void>): Promise<number> {
  return (await loadPhase(total, op)).rate;
}

/** The best rate and the least server CPU per operation (µs) over the rounds of one kind. */
class Best {
  rate = 0;
  cpuUs = Infinity;

  async measure(pid: number, total: number, op: (i: number) => Promise<void>): Promise<void> {
    const before = await cpuMs(pid);
    const phase = await loadPhase(total, op);
    const used = (await cpuMs(pid)) - before;
    this.rate = Math.max(this.rate, phase.rate);
    if (phase.done > 0) this.cpuUs = Math.min(this.cpuUs, (used * 1000) / phase.done);
  }
}

async function post(url: string, token: string, path: string, body: unknown): Promise<void> {
  await check(
    await fetch(url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
    `POST ${path}`,
  );
}

const editBinding = (name: string, user: string): unknown => ({
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
});

/** Runs the authorization benchmark; see the module comment. */
export async function benchAuthz(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-authz-'));
  let child: ChildProcess | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const s = await startStratus(join(dir, 'stratus'));
    child = s.child;
    const userToken = newToken();
    await post(
      s.url,
      s.token,
      '/api/v1/namespaces/kube-system/secrets',
      tokenSecret(userToken, { username: 'bench', groups: [] }),
    );
    const bindings = '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings';
    await rate(BINDINGS - 1, (i) => post(s.url, s.token, bindings, editBinding(`other-${i}`, `user-${i}`)));
    await post(s.url, s.token, bindings, editBinding('bench-edit', 'bench'));
    await post(s.url, s.token, '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'bench-get' },
      data: { k: 'v' },
    });
    // The user's first request may come before the aggregated `edit` role is filled in.
    const deadline = Date.now() + 20_000;
    while (
      (
        await fetch(`${s.url}/api/v1/namespaces/default/configmaps/bench-get`, {
          headers: { authorization: `Bearer ${userToken}` },
        })
      ).status !== 200
    ) {
      if (Date.now() > deadline) throw new Error('the bench user never got edit rights');
      await new Promise((r) => setTimeout(r, 50));
    }
    const best = {
      adminGets: new Best(),
      userGets: new Best(),
      adminCreates: new Best(),
      userCreates: new Best(),
    };
    const pid = child.pid ?? 0;
    for (let round = 0; round < ROUNDS; round++) {
      const admin = configMaps(s.url, s.token, `a${round}`, agent);
      const user = configMaps(s.url, userToken, `u${round}`, agent);
      await best.adminGets.measure(pid, GETS, () => admin.get());
      await best.userGets.measure(pid, GETS, () => user.get());
      await best.adminCreates.measure(pid, CREATES, (i) => admin.create(i));
      await best.userCreates.measure(pid, CREATES, (i) => user.create(i));
    }
    const vs = (name: string, user: Best, admin: Best): BenchResult[] => [
      {
        name: `api ${name}/s via RBAC, ${BINDINGS} RoleBindings`,
        value: user.rate,
        unit: 'ops/s',
        peer: { name: 'system:masters', value: admin.rate },
        ratio: user.rate / admin.rate,
        goal: '>= 0.95x',
      },
      {
        name: `server CPU per ${name.slice(0, -1)} via RBAC, ${BINDINGS} RoleBindings`,
        value: user.cpuUs,
        unit: 'µs',
        peer: { name: 'system:masters', value: admin.cpuUs },
        ratio: user.cpuUs / admin.cpuUs,
        goal: '<= 1.05x',
      },
    ];
    return [
      ...vs('gets', best.userGets, best.adminGets),
      ...vs('creates', best.userCreates, best.adminCreates),
    ];
  } finally {
    agent.destroy();
    if (child) await stop(child);
    await rm(dir, { recursive: true, force: true });
  }
}
