import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { eventually } from '../api/testing.js';
import { CliHarness } from './cli-harness.js';

const skip = kubectlSkipReason() ?? false;
let h: CliHarness;
let alice: string;
let victor: string;

/** kubectl as the admin, or with another kubeconfig; fails the test on a non-zero exit unless `allowFail`. */
async function kubectl(
  args: string[],
  kubeconfig?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runKubectl(h.dir, kubeconfig ?? h.server.kubeconfigPath, args);
}

before(async () => {
  if (skip) return;
  h = await CliHarness.start();
  alice = join(h.dir, 'alice.kubeconfig');
  victor = join(h.dir, 'victor.kubeconfig');
  const made = await h.run(['user', 'create', 'alice', '--kubeconfig-out', alice]);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /Created token [0-9a-f]{16} for user "alice" \(expires \d{4}-/);
  assert.equal(
    (
      await h.run([
        'user',
        'create',
        'victor',
        '--group',
        'viewers',
        '--ttl',
        '1h',
        '--kubeconfig-out',
        victor,
      ])
    ).code,
    0,
  );
  for (const args of [
    ['create', 'namespace', 'a'],
    ['create', 'namespace', 'b'],
    ['create', 'rolebinding', 'alice-edit', '--clusterrole=edit', '--user=alice', '-n', 'a'],
    ['create', 'rolebinding', 'alice-admin', '--clusterrole=admin', '--user=alice', '-n', 'b'],
    ['create', 'clusterrolebinding', 'viewers', '--clusterrole=view', '--group=viewers'],
  ]) {
    const r = await kubectl(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.ok(
    await eventually(
      async () =>
        (await kubectl(['auth', 'can-i', 'create', 'pods', '-n', 'a'], alice)).stdout.trim() === 'yes',
    ),
    'edit is aggregated and bound',
  );
});
after(async () => {
  if (!skip) await h.close();
});

test("stratus user create writes a 0600 kubeconfig with the cluster's server and CA", { skip }, async () => {
  assert.equal((await stat(alice)).mode & 0o777, 0o600);
  const mine = parse(await readFile(alice, 'utf8')) as {
    clusters: Array<{ cluster: Record<string, string> }>;
  };
  const admin = parse(await readFile(h.server.kubeconfigPath, 'utf8')) as typeof mine;
  assert.deepEqual(mine.clusters[0]?.cluster, admin.clusters[0]?.cluster);
  const who = await kubectl(['auth', 'whoami'], victor);
  assert.match(who.stdout, /Username\s+victor/);
  assert.match(who.stdout, /Groups\s+\[viewers system:authenticated\]/);
});

test("kubectl as an edit user: allowed in its namespace, Kubernetes' 403s elsewhere", { skip }, async () => {
  assert.equal(
    (await kubectl(['create', 'configmap', 'c1', '--from-literal=k=v', '-n', 'a'], alice)).code,
    0,
  );
  assert.equal((await kubectl(['get', 'configmaps', '-n', 'a'], alice)).code, 0);
  const other = await kubectl(['get', 'pods', '-n', 'default'], alice);
  assert.equal(other.code, 1);
  assert.match(
    other.stderr,
    /Error from server \(Forbidden\): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"/,
  );
  const nodes = await kubectl(['get', 'nodes'], alice);
  assert.match(
    nodes.stderr,
    /nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope/,
  );
  const roles = await kubectl(['create', 'role', 'r', '--verb=get', '--resource=pods', '-n', 'a'], alice);
  assert.match(
    roles.stderr,
    /roles.rbac.authorization.k8s.io is forbidden: User "alice" cannot create resource "roles"/,
  );
  const view = await kubectl(['get', 'configmaps', '-n', 'a'], victor);
  assert.equal(view.code, 0, view.stderr);
  const write = await kubectl(['create', 'configmap', 'v', '-n', 'a'], victor);
  assert.match(write.stderr, /configmaps is forbidden: User "victor" cannot create resource "configmaps"/);
});

test('kubectl auth can-i and can-i --list say what is enforced', { skip }, async () => {
  const can = async (args: string[]): Promise<string> =>
    (await kubectl(['auth', 'can-i', ...args], alice)).stdout.trim();
  assert.equal(await can(['create', 'deployments', '-n', 'a']), 'yes');
  assert.equal(await can(['create', 'deployments', '-n', 'default']), 'no');
  assert.equal(await can(['get', 'pods', '--subresource=log', '-n', 'a']), 'yes');
  assert.equal(await can(['get', '/metrics']), 'no');
  assert.equal(await can(['get', '/version']), 'yes');
  const list = await kubectl(['auth', 'can-i', '--list', '-n', 'a'], alice);
  assert.equal(list.code, 0, list.stderr);
  assert.match(
    list.stdout,
    /^configmaps\s+\[\]\s+\[\]\s+\[create update patch delete deletecollection get list watch\]/m,
  );
  assert.match(list.stdout, /selfsubjectaccessreviews.authorization.k8s.io\s+\[\]\s+\[\]\s+\[create\]/);
  assert.doesNotMatch(list.stdout, /^roles.rbac/m, 'edit cannot manage roles');
  const adminList = await kubectl(['auth', 'can-i', '--list', '-n', 'b'], alice);
  assert.match(
    adminList.stdout,
    /^roles.rbac.authorization.k8s.io\s+\[\]\s+\[\]\s+\[get list watch create update patch delete deletecollection\]/m,
  );
});

test('impersonation with --as needs the impersonate verb', { skip }, async () => {
  const asAlice = await kubectl(['get', 'pods', '-n', 'default', '--as=alice']);
  assert.match(asAlice.stderr, /pods is forbidden: User "alice" cannot list resource "pods"/);
  const group = await kubectl(['get', 'pods', '-n', 'b', '--as=nobody', '--as-group=viewers']);
  assert.equal(group.code, 0, group.stderr);
  const refused = await kubectl(['get', 'pods', '-n', 'a', '--as=victor'], alice);
  assert.match(
    refused.stderr,
    /users "victor" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope/,
  );
});

test('escalation is refused: no role or binding grants what its writer does not hold', { skip }, async () => {
  assert.equal(
    (await kubectl(['create', 'role', 'ok', '--verb=get', '--resource=pods', '-n', 'b'], alice)).code,
    0,
  );
  const role = await kubectl(['create', 'role', 'nodes', '--verb=get', '--resource=nodes', '-n', 'b'], alice);
  assert.match(
    role.stderr,
    /roles.rbac.authorization.k8s.io "nodes" is forbidden: user "alice" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["nodes"\], Verbs:\["get"\]\}/,
  );
  const bind = await kubectl(
    ['create', 'rolebinding', 'boss', '--clusterrole=cluster-admin', '--user=alice', '-n', 'b'],
    alice,
  );
  assert.match(
    bind.stderr,
    /rolebindings.rbac.authorization.k8s.io "boss" is forbidden: user "alice" .* is attempting to grant RBAC permissions not currently held/,
  );
  const view = await kubectl(
    ['create', 'rolebinding', 'friend', '--clusterrole=view', '--user=bob', '-n', 'b'],
    alice,
  );
  assert.equal(view.code, 0, `binding a role one holds is fine: ${view.stderr}`);
});

test('kubectl get shows RBAC objects as Kubernetes prints them', { skip }, async () => {
  const crs = await kubectl(['get', 'clusterroles', 'cluster-admin', 'view']);
  assert.match(
    crs.stdout,
    /^NAME\s+CREATED AT\ncluster-admin\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\nview\s+\d{4}-/,
  );
  const rbs = await kubectl(['get', 'rolebindings', '-n', 'a', '-o', 'wide']);
  assert.match(
    rbs.stdout,
    /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nalice-edit\s+ClusterRole\/edit\s+\S+\s+alice/,
  );
});

test('a revoked token stops working; token ls lists ids, never tokens', { skip }, async () => {
  const ls = await h.run(['token', 'ls']);
  const line = ls.stdout.split('\n').find((l) => /\svictor\s/.test(l)) ?? '';
  const id = line.split(/\s+/)[0] ?? '';
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.match(line, /viewers\s+\d{4}-\d\d-\d\dT/);
  assert.equal((await kubectl(['get', 'pods', '-n', 'a'], victor)).code, 0);
  const revoked = await h.run(['token', 'revoke', id]);
  assert.equal(revoked.stdout, `token "${id}" revoked\n`);
  assert.ok(
    await eventually(async () =>
      /Unauthorized/.test((await kubectl(['get', 'pods', '-n', 'a'], victor)).stderr),
    ),
    'the token is refused',
  );
  assert.match((await h.run(['token', 'revoke', id])).stderr, /token ".*" not found/);
});

test(
  'user create refuses a bad --ttl and a requester who is not system:masters, creating nothing',
  { skip },
  async () => {
    const before = (await h.run(['token', 'ls'])).stdout;
    const bad = await h.run(['user', 'create', 'mallory', '--ttl', 'forever']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--ttl must be a duration such as 720h or 30m, not "forever"/);
    const notAdmin = await h.run(['user', 'create', 'mallory', '--kubeconfig', alice]);
    assert.equal(notAdmin.code, 1);
    assert.match(
      notAdmin.stderr,
      /secrets is forbidden: User "alice" cannot create resource "secrets" in API group "" in the namespace "kube-system"/,
    );
    assert.equal((await h.run(['token', 'ls'])).stdout, before);
  },
);

test(
  'kubectl as a ServiceAccount, a node and a bad token gets the answers Kubernetes gives',
  { skip },
  async () => {
    assert.equal((await kubectl(['create', 'serviceaccount', 'app', '-n', 'a'])).code, 0);
    const minted = await kubectl(['create', 'token', 'app', '-n', 'a']);
    assert.equal(minted.code, 0, minted.stderr);
    const sa = ['--token', minted.stdout.trim()];
    assert.match((await kubectl(['auth', 'whoami', ...sa])).stdout, /Username\s+system:serviceaccount:a:app/);
    assert.match(
      (await kubectl(['get', 'pods', '-n', 'a', ...sa])).stderr,
      /pods is forbidden: User "system:serviceaccount:a:app" cannot list resource "pods" in API group "" in the namespace "a"/,
    );
    const saList = await kubectl(['auth', 'can-i', '--list', '-n', 'a', ...sa]);
    assert.match(saList.stdout, /selfsubjectreviews.authentication.k8s.io\s+\[\]\s+\[\]\s+\[create\]/);
    assert.doesNotMatch(saList.stdout, /^pods\s/m);
    // A node, as the admin impersonates it: the Node authorizer confines it to its own objects.
    const node = ['--as', 'system:node:n1', '--as-group', 'system:nodes'];
    assert.match(
      (await kubectl(['get', 'secrets', '-n', 'a', ...node])).stderr,
      /secrets is forbidden: User "system:node:n1" cannot list resource "secrets" in API group "" in the namespace "a": No Object name found/,
    );
    assert.match(
      (await kubectl(['get', 'nodes', 'n2', ...node])).stderr,
      /nodes "n2" is forbidden: User "system:node:n1" cannot get resource "nodes"/,
    );
    assert.match((await kubectl(['get', 'nodes', 'n1', ...node])).stderr, /NotFound.*nodes "n1" not found/);
    assert.match(
      (await kubectl(['create', 'token', 'app', '-n', 'a', ...node])).stderr,
      /forbidden: User "system:node:n1" cannot create resource "serviceaccounts\/token"/,
    );
    // A bad token: 401, which kubectl reports as Unauthorized (anonymous requests, which kubectl
    // answers by prompting for a password, are in src/api/authorization.test.ts's matrix).
    const bad = await kubectl(['get', 'pods', '-n', 'a', '--token', 'not-a-token']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /error: You must be logged in to the server \(Unauthorized\)/);
  },
);
