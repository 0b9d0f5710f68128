import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KubeClient } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { startServer, type RunningServer } from './server.js';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { collect, killAgentPods, MAIN_JS, OutputBuffer, type CliResult } from './cli-harness.js';

// Agents join as kubeadm's and k3s' do: the admin prints a join command with a bootstrap token
// and the CA's pin; each agent trades the token for its own node credential, keeps it (0600) in
// its data directory and uses it from then on; nobody hands an agent the admin token.

let dir: string;
let server: RunningServer;
let admin: KubeClient;
let joinArgs: string[];
const skip = kubectlSkipReason() ?? false;

function stratus(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [MAIN_JS, ...args], { cwd: dir, env: { ...process.env, HOME: dir } });
}

async function run(args: string[]): Promise<CliResult> {
  return collect(stratus(args), { timeoutMs: 60_000 });
}

/** An agent child process and its output, stopped (SIGTERM) by `stop`. */
async function agent(args: string[]): Promise<{ stop(): Promise<CliResult> }> {
  const child = stratus(['agent', ...args]);
  const done = collect(child, { timeoutMs: 120_000 });
  await new OutputBuffer(child.stdout).waitFor(/registered/).catch(async (err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}; stderr: ${(await done).stderr}`);
  });
  return {
    stop: async () => {
      child.kill('SIGTERM');
      return done;
    },
  };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const running = (name: string) => async (): Promise<boolean> => {
  const pod = (await admin.get('pods', name)) as { status?: { phase?: string } };
  return pod.status?.phase === 'Running';
};

function pod(name: string, node: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'main',
          image: 'node',
          command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
          ...extra,
        },
      ],
    },
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-join-'));
  server = await startServer({ dataDir: join(dir, 'server'), apiPort: 0 });
  admin = KubeClient.fromKubeconfig(server.kubeconfigPath);
  const made = await run(['token', 'create', '--join', '--kubeconfig', server.kubeconfigPath]);
  assert.equal(made.code, 0, made.stderr);
  const printed = made.stdout.trim().split(/\s+/);
  assert.deepEqual(printed.slice(0, 3), ['stratus', 'agent', '--server']);
  assert.equal(printed[3], server.apiUrl, 'the printed server is the https URL of the kubeconfig');
  assert.match(printed[5] ?? '', /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  assert.match(printed[7] ?? '', /^sha256:[0-9a-f]{64}$/);
  joinArgs = printed.slice(2);
});

after(async () => {
  await admin?.close();
  await server?.close();
  killAgentPods(join(dir, 'a1'));
  await rm(dir, { recursive: true, force: true });
});

test('an agent joins with the printed command, keeps its own credential and runs pods with it', async () => {
  await admin.create('secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'app-secret', namespace: 'default' },
    stringData: { password: 'hunter2' },
  });
  const dataDir = join(dir, 'a1');
  const a1 = await agent([...joinArgs, '--data-dir', dataDir, '--node-name', 'a1']);
  const file = join(dataDir, 'kubelet.kubeconfig');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const stored = parse(await readFile(file, 'utf8')) as {
    users: Array<{ name: string }>;
    clusters: Array<{ cluster: Record<string, string> }>;
  };
  assert.equal(stored.users[0]?.name, 'system:node:a1');
  assert.equal(stored.clusters[0]?.cluster.server, server.apiUrl);
  assert.ok(stored.clusters[0]?.cluster['certificate-authority-data'], 'the pinned CA is kept');
  const credentials = await admin.list('secrets', {
    namespace: 'kube-system',
    labelSelector: 'stratus.dev/node=a1',
  });
  assert.equal(credentials.items.length, 1);
  // The node reads the Secret its pod uses (the Node authorizer's graph) and runs the pod.
  await admin.create(
    'pods',
    pod('with-secret', 'a1', {
      env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } }],
    }),
  );
  await until('pod with-secret Running', running('with-secret'));
  assert.equal((await a1.stop()).code, 0);
  // A restart needs no token: the stored credential is used again.
  const again = await agent(['--data-dir', dataDir, '--node-name', 'a1']);
  await admin.create('pods', pod('after-restart', 'a1'));
  await until('pod after-restart Running', running('after-restart'));
  assert.equal((await again.stop()).code, 0);
  const still = await admin.list('secrets', {
    namespace: 'kube-system',
    labelSelector: 'stratus.dev/node=a1',
  });
  assert.deepEqual(
    still.items.map((s) => s.metadata.name),
    credentials.items.map((s) => s.metadata.name),
  );
});

test(
  'kubectl with the node credential the agent kept: confined by the Node authorizer',
  { skip },
  async () => {
    // The agent of the first test stopped; its credential stays valid. kubectl verifies the server
    // with the pinned CA the credential file carries.
    const kubeconfig = join(dir, 'a1', 'kubelet.kubeconfig');
    const kubectl = (args: string[]) => runKubectl(dir, kubeconfig, args);
    await admin.create('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'unused', namespace: 'default' },
      stringData: { k: 'v' },
    });
    const who = await kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(who.stdout, 'system:node:a1', who.stderr);
    const used = await kubectl(['get', 'secret', 'app-secret', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(used.stdout, 'base64').toString(), 'hunter2', used.stderr);
    const unused = await kubectl(['get', 'secret', 'unused']);
    assert.notEqual(unused.code, 0);
    assert.match(
      unused.stderr,
      /secrets "unused" is forbidden: User "system:node:a1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'a1' and this object/,
    );
    assert.equal((await kubectl(['auth', 'can-i', 'get', 'secret/app-secret'])).stdout.trim(), 'yes');
    assert.equal(
      (await kubectl(['auth', 'can-i', 'get', 'secret/unused'])).stdout.trim(),
      "no - no relationship found between node 'a1' and this object",
    );
    const all = await kubectl(['get', 'pods', '-A']);
    assert.match(all.stderr, /can only list\/watch pods with spec.nodeName field selector/);
    const mine = await kubectl(['get', 'pods', '-A', '--field-selector', 'spec.nodeName=a1', '-o', 'name']);
    assert.equal(mine.stdout, 'pod/after-restart\npod/with-secret\n', mine.stderr);
    const token = await kubectl(['create', 'token', 'default']);
    assert.notEqual(token.code, 0);
    assert.match(token.stderr, /node requested token not bound to a pod/);
    const role = await kubectl(['label', 'node', 'a1', 'node-role.kubernetes.io/control-plane=']);
    assert.match(
      role.stderr,
      /nodes "a1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io\/control-plane/,
    );
  },
);

test('a wrong CA pin is refused before anything is sent; a revoked join token joins nothing', async () => {
  const wrongPin = [...joinArgs.slice(0, 5), `sha256:${'0'.repeat(64)}`];
  const pinned = await run(['agent', ...wrongPin, '--data-dir', join(dir, 'x1'), '--node-name', 'x1']);
  assert.notEqual(pinned.code, 0);
  assert.match(pinned.stderr, /include no CA with --ca-cert-hash sha256:0{64}/);
  const id = (joinArgs[3] ?? '').slice(0, 6);
  const revoked = await run(['token', 'revoke', id, '--kubeconfig', server.kubeconfigPath]);
  assert.equal(revoked.code, 0, revoked.stderr);
  const refused = await run(['agent', ...joinArgs, '--data-dir', join(dir, 'x2'), '--node-name', 'x2']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Unauthorized/);
  assert.equal(
    (await admin.list('nodes')).items.some((n) => n.metadata.name === 'x2'),
    false,
  );
});

test('stratus agent --simulate N with a join token: N nodes, each with its own credential', async () => {
  const made = await run([
    'token',
    'create',
    '--join',
    '--ttl',
    '10m',
    '--kubeconfig',
    server.kubeconfigPath,
  ]);
  const args = made.stdout.trim().split(/\s+/).slice(2);
  const sim = await agent([...args, '--simulate', '3', '--data-dir', join(dir, 'sim')]).catch(
    () => undefined,
  );
  // --simulate prints "3 simulated nodes registered".
  assert.ok(sim !== undefined);
  for (const node of ['sim-node-0', 'sim-node-1', 'sim-node-2']) {
    const own = await admin.list('secrets', {
      namespace: 'kube-system',
      labelSelector: `stratus.dev/node=${node}`,
    });
    assert.equal(own.items.length, 1, node);
  }
  await admin.create('pods', pod('sim', 'sim-node-1'));
  await until('simulated pod Running', running('sim'));
  assert.equal((await sim.stop()).code, 0);
});
