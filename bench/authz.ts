/**
 * Authorization benchmark: the cost of RBAC on the API's hot paths. A fresh `stratus server`
 * child gets 1,000 RoleBindings (other users bound to `edit` in `default`), then gets/s and
 * creates/s of ConfigMaps are measured from 32 concurrent clients with the admin's token
 * (system:masters, decided before RBAC) and with a user who holds `edit` in `default` through a
 * RoleBinding, in alternating rounds (best of three each, as the machine is shared); the ratio
 * user/admin is the share of throughput RBAC leaves. Every loop is bounded in count and time.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newToken, tokenSecret } from '../src/identity/index.js';
import { Agent } from 'node:http';
import { check, startStratus } from './api.js';
import { CONCURRENCY, loadPhase, send, stop } from './api-tools.js';
import type { BenchResult } from './result.js';

const BINDINGS = 1000;
const ROUNDS = 3;
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
    const best = { adminGets: 0, userGets: 0, adminCreates: 0, userCreates: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const admin = configMaps(s.url, s.token, `a${round}`, agent);
      const user = configMaps(s.url, userToken, `u${round}`, agent);
      best.adminGets = Math.max(best.adminGets, await rate(GETS, () => admin.get()));
      best.userGets = Math.max(best.userGets, await rate(GETS, () => user.get()));
      best.adminCreates = Math.max(best.adminCreates, await rate(CREATES, (i) => admin.create(i)));
      best.userCreates = Math.max(best.userCreates, await rate(CREATES, (i) => user.create(i)));
    }
    const vs = (name: string, user: number, admin: number): BenchResult => ({
      name,
      value: user,
      unit: 'ops/s',
      peer: { name: 'system:masters', value: admin },
      ratio: user / admin,
      goal: '>= 0.95x',
    });
    return [
      vs(`api gets/s via RBAC, ${BINDINGS} RoleBindings`, best.userGets, best.adminGets),
      vs(`api creates/s via RBAC, ${BINDINGS} RoleBindings`, best.userCreates, best.adminCreates),
    ];
  } finally {
    agent.destroy();
    if (child) await stop(child);
    await rm(dir, { recursive: true, force: true });
  }
}
