/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- tests read kubectl JSON by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { collect, killAgentPods, MAIN_JS, OutputBuffer, type CliResult } from './cli-harness.js';

// Issue 15's agent hosts: three "hosts", each a network namespace with a veth pair on a bridge
// this test makes (10.213.N.0/24, N from the pid), each running `stratus agent` from this build,
// joined with `stratus token create --join` as a user would. The `stratus server` runs on the
// host side of the bridge (its address 10.213.N.1), so every agent reaches it, and it reaches
// every agent, across the bridge; the agents find their own address from that route. A host
// dies as a machine does: its agent and its pods' processes are killed (SIGKILL) and its
// namespace, with its veth, is deleted. Everything made here is removed by name or pid.

function hostsMissing(): string | undefined {
  const kubectl = kubectlSkipReason();
  let why: string | undefined;
  if (process.getuid?.() !== 0) why = 'needs root (network namespaces, a bridge)';
  else if (!existsSync('/usr/sbin/ip') && !existsSync('/sbin/ip')) why = 'needs iproute2';
  if (why !== undefined && process.env['CI'] === 'true') throw new Error(`the agent hosts test ${why}`);
  return why ?? kubectl;
}

const skip = hostsMissing() ?? false;
const HOSTS = ['h1', 'h2', 'h3'];
const tag = `sah${process.pid % 1_000_000}`;
const bridge = tag;
const netnsOf = (host: string): string => `${tag}-${host}`;
/** The host side of each host's veth pair (deleted with its namespace). */
const vethOf = (host: string): string => `${tag}${host}`;

/** An HTTP server on $PORT on every address of its host, saying which node runs it. */
const ECHO = [
  'const port = Number(process.env.PORT);',
  "require('node:http').createServer((q, r) => r.end(process.env.APP + ' on ' + process.env.NODE_NAME + '\\n'))",
  "  .listen(port, '0.0.0.0', () => console.log('listening on ' + port));",
  "process.on('SIGTERM', () => process.exit(0));",
].join('\n');

interface Child {
  process: ChildProcessWithoutNullStreams;
  done: Promise<CliResult>;
  out: OutputBuffer;
}

let dir: string;
let subnet = '';
let kubeconfig = '';
let server: Child | undefined;
const agents = new Map<string, Child>();
const made = { bridge: false, netns: [] as string[] };

const addressOf = (host: string): string => `${subnet}.${2 + HOSTS.indexOf(host)}`;

function run(command: string, args: string[]): Promise<CliResult> {
  const child = spawn(command, args);
  child.stdin.on('error', () => undefined); // a program that exits at once closes its stdin
  return collect(child, { timeoutMs: 30_000 });
}

async function sh(command: string, args: string[]): Promise<string> {
  const r = await run(command, args);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `stratus ARGS` in the root namespace, or inside a host's namespace. */
function stratus(args: string[], host?: string): Child {
  const argv = [MAIN_JS, ...args];
  const child =
    host === undefined
      ? spawn(process.execPath, argv, { cwd: dir, env: { ...process.env, HOME: dir } })
      : spawn('ip', ['netns', 'exec', netnsOf(host), process.execPath, ...argv], {
          cwd: dir,
          env: { ...process.env, HOME: dir },
        });
  child.stdin.on('error', () => undefined);
  return {
    process: child,
    out: new OutputBuffer(child.stdout),
    done: collect(child, { timeoutMs: 300_000 }),
  };
}

/** A free 10.213.N.0/24: no address of this machine is in it. */
async function freeSubnet(): Promise<string> {
  const used = await sh('ip', ['-o', '-4', 'addr']);
  for (let i = 0; i < 250; i++) {
    const candidate = `10.213.${1 + ((process.pid + i) % 250)}`;
    if (!used.includes(` ${candidate}.`)) return candidate;
  }
  throw new Error('no free 10.213.N.0/24 on this machine');
}

async function makeHosts(): Promise<void> {
  subnet = await freeSubnet();
  await sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
  made.bridge = true;
  await sh('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
  await sh('ip', ['link', 'set', bridge, 'up']);
  for (const host of HOSTS) {
    const ns = netnsOf(host);
    await sh('ip', ['netns', 'add', ns]);
    made.netns.push(ns);
    await sh('ip', ['link', 'add', vethOf(host), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await sh('ip', ['link', 'set', vethOf(host), 'master', bridge, 'up']);
    await sh('ip', ['-n', ns, 'addr', 'add', `${addressOf(host)}/24`, 'dev', 'eth0']);
    await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
}

before(async () => {
  if (skip !== false) return;
  dir = await mkdtemp(join(tmpdir(), 'stratus-agent-hosts-'));
  await makeHosts();
  server = stratus([
    'server',
    '--data-dir',
    join(dir, 'server'),
    '--host',
    `${subnet}.1`,
    '--port',
    '0',
    '--s3-port',
    '0',
    '--ingress-http-port',
    '0',
    '--ingress-https-port',
    '0',
    '--node-monitor-grace-period',
    '4s',
    '--pod-eviction-timeout',
    '1s',
    '--scheduler-strategy',
    'spread',
  ]);
  const text = await server.out.waitFor(/export KUBECONFIG=.*\n/, 60_000);
  kubeconfig = /^kubeconfig: (\S+)$/m.exec(text)?.[1] ?? '';
  const joined = await stratus(['token', 'create', '--join', '--kubeconfig', kubeconfig]).done;
  assert.equal(joined.code, 0, joined.stderr);
  const joinArgs = joined.stdout.trim().split(/\s+/).slice(2);
  assert.equal(joinArgs[1]?.startsWith(`https://${subnet}.1:`), true, joined.stdout);
  for (const host of HOSTS) {
    const agent = stratus(
      [
        'agent',
        ...joinArgs,
        '--data-dir',
        join(dir, host),
        '--node-name',
        host,
        '--node-status-update-frequency',
        '1s',
      ],
      host,
    );
    agents.set(host, agent);
  }
  for (const [host, agent] of agents)
    await agent.out.waitFor(/registered/, 60_000).catch(async (err: Error) => {
      throw new Error(`agent ${host}: ${err.message}; stderr: ${(await agentStderr(agent)).slice(-2000)}`);
    });
});

async function agentStderr(agent: Child): Promise<string> {
  agent.process.kill('SIGKILL');
  return (await agent.done).stderr;
}

after(async () => {
  for (const agent of agents.values()) agent.process.kill('SIGKILL');
  for (const [host, agent] of agents) {
    const { stderr } = await agent.done;
    if (process.env['STRATUS_TEST_VERBOSE']) process.stderr.write(`agent ${host}:\n${stderr.slice(-3000)}\n`);
  }
  for (const host of HOSTS) if (dir !== undefined) killAgentPods(join(dir, host));
  server?.process.kill('SIGTERM');
  await server?.done;
  for (const ns of made.netns) await run('ip', ['netns', 'del', ns]);
  if (made.bridge) await run('ip', ['link', 'del', bridge]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function kubectl(...args: string[]): Promise<string> {
  const r = await runKubectl(dir, kubeconfig, args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function apply(name: string, objects: unknown[]): Promise<void> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, objects.map((o) => stringify(o)).join('---\n'));
  await kubectl('apply', '-f', file);
}

/** Polls (at most 150 times, 200 ms apart) until `check` gives a value. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 150; i++) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const pods = await kubectl('get', 'pods', '-o', 'wide').catch((err: Error) => err.message);
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}\n${pods}`);
}

function echoTemplate(app: string): unknown {
  return {
    metadata: { labels: { app } },
    spec: {
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: app,
          image: 'node:20-alpine',
          command: [process.execPath, '-e', ECHO],
          env: [
            { name: 'APP', value: app },
            { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          ],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { requests: { cpu: '100m', memory: '32Mi' } },
        },
      ],
    },
  };
}

interface LivePod {
  name: string;
  node: string;
  hostIP: string;
  ready: boolean;
  hostPort: number | undefined;
}

async function livePods(app: string): Promise<LivePod[]> {
  const list = JSON.parse(await kubectl('get', 'pods', '-l', `app=${app}`, '-o', 'json')) as { items: any[] };
  return list.items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => {
      const ports = p.metadata.annotations?.['stratus.dev/host-ports'] as string | undefined;
      return {
        name: p.metadata.name as string,
        node: (p.spec.nodeName ?? '') as string,
        hostIP: (p.status?.hostIP ?? '') as string,
        ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
        hostPort:
          ports === undefined ? undefined : (JSON.parse(ports) as Record<string, number>)[`${app}/http`],
      };
    });
}

/** GETs each URL from inside a host's namespace (`node` there, as a pod on that host would). */
async function getFrom(host: string, urls: string[]): Promise<string[]> {
  const script = `(async () => { for (const u of ${JSON.stringify(urls)}) { const r = await fetch(u, { signal: AbortSignal.timeout(5000) }); process.stdout.write(JSON.stringify(await r.text()) + '\\n'); } })().catch((e) => { console.error(e.cause?.message ?? e.message); process.exit(1); });`;
  const out = await sh('ip', ['netns', 'exec', netnsOf(host), process.execPath, '-e', script]);
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as string);
}

async function clusterStatus(): Promise<string> {
  const r = await stratus(['cluster', 'status', '--kubeconfig', kubeconfig]).done;
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** Each Ready pod of `app` by node; undefined until every wanted node has exactly one, and no other node any. */
async function onePerNode(app: string, nodes: string[]): Promise<LivePod[] | undefined> {
  const live = await livePods(app);
  const ready = live.filter((p) => p.ready && p.hostPort !== undefined);
  const byNode = nodes.map((n) => live.filter((p) => p.node === n));
  const ok =
    byNode.every((ps) => ps.length === 1 && ps[0]?.ready === true) &&
    live.every((p) => nodes.includes(p.node) || p.node === '');
  return ok ? ready : undefined;
}

test('three hosts join over the bridge, each node registered at its own address', { skip }, async () => {
  const nodes = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: any[] };
  const addresses = Object.fromEntries(
    nodes.items.map((n) => [
      n.metadata.name as string,
      (n.status.addresses as { type: string; address: string }[]).find((a) => a.type === 'InternalIP')
        ?.address,
    ]),
  );
  assert.deepEqual(addresses, Object.fromEntries(HOSTS.map((h) => [h, addressOf(h)])));
  for (const [host, agent] of agents) assert.match(agent.out.text, new RegExp(`address ${addressOf(host)};`));
  // The agent's endpoint on a bridge address speaks TLS only, with the certificate it published.
  const node = nodes.items.find((n) => n.metadata.name === 'h2');
  const port = node.status.daemonEndpoints.kubeletEndpoint.Port as number;
  await assert.rejects(fetch(`http://${addressOf('h2')}:${port}/metrics`));
  const secret = JSON.parse(
    await kubectl('get', 'secret', '-n', 'kube-node-lease', 'stratus-agent-h2', '-o', 'json'),
  ) as { data: Record<string, string> };
  const cert = Buffer.from(secret.data['ca.crt'] ?? '', 'base64').toString();
  const status = await new Promise<number>((resolve, reject) =>
    httpsGet({ host: addressOf('h2'), port, path: '/metrics', ca: cert, servername: '' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject),
  );
  assert.equal(status, 401, 'no secret, no answer');
});

test(
  'a Deployment spreads over the hosts; pods reach each other across the bridge by host port and Service; logs and exec reach the agents',
  { skip },
  async () => {
    await apply('workloads', [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: echoTemplate('web') },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 'http', appProtocol: 'http' }] },
      },
    ]);
    // The DaemonSet comes after the spread: its pods are placed at once, beside the scheduler's.
    const web = await waitFor('one Ready web pod on each host', () => onePerNode('web', HOSTS));
    await apply('daemonset', [
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'ds' },
        spec: { selector: { matchLabels: { app: 'ds' } }, template: echoTemplate('ds') },
      },
    ]);
    await waitFor('one Ready ds pod on each host', () => onePerNode('ds', HOSTS));
    for (const pod of web) assert.equal(pod.hostIP, addressOf(pod.node), `${pod.name}'s hostIP`);
    // From h1, the pods on h2 and h3 at their node's address and host port.
    const others = web.filter((p) => p.node !== 'h1');
    const bodies = await waitFor('h1 reaching the web pods of h2 and h3', () =>
      getFrom(
        'h1',
        others.map((p) => `http://${p.hostIP}:${p.hostPort ?? 0}/`),
      ),
    );
    assert.deepEqual(
      bodies,
      others.map((p) => `web on ${p.node}\n`),
    );
    // h1's service proxy sends the ClusterIP's connections to the endpoints on every host.
    const ip = await kubectl('get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}');
    const seen = await waitFor('the ClusterIP from h1 answering from all three hosts', async () => {
      const got = new Set(
        await getFrom(
          'h1',
          Array.from({ length: 12 }, () => `http://${ip}:8080/`),
        ),
      );
      return got.size === 3 ? got : undefined;
    });
    assert.deepEqual(
      [...seen].sort(),
      HOSTS.map((h) => `web on ${h}\n`),
    );
    // The API server reaches h2's agent at h2's address for logs and exec.
    const onH2 = web.find((p) => p.node === 'h2')!;
    await waitFor(`logs of ${onH2.name}`, async () =>
      /^listening on \d+$/m.test(await kubectl('logs', onH2.name)) ? true : undefined,
    );
    assert.equal(await kubectl('exec', onH2.name, '--', 'sh', '-c', 'echo "$NODE_NAME"'), 'h2\n');
  },
);

test(
  'killing a host: its node goes NotReady, its pods move to the live hosts, the DaemonSet keeps one pod per live host, cluster status shows it',
  { skip },
  async (t) => {
    const beforeStatus = await clusterStatus();
    for (const host of HOSTS)
      assert.match(
        beforeStatus,
        new RegExp(
          `^${host}\\s+True\\s+${addressOf(host).replaceAll('.', '\\.')}\\s+\\d+s ago\\s+\\d+\\s+<none>$`,
          'm',
        ),
      );
    const victim = (await livePods('web')).find((p) => p.node === 'h3')!;
    // The machine h3 dies: its agent and its pods' processes at once, then its network.
    const diedAt = Date.now();
    const agent = agents.get('h3')!;
    agent.process.kill('SIGKILL');
    await agent.done;
    agents.delete('h3');
    killAgentPods(join(dir, 'h3'));
    await sh('ip', ['netns', 'del', netnsOf('h3')]);
    made.netns.splice(made.netns.indexOf(netnsOf('h3')), 1);

    await waitFor('node h3 NotReady', async () =>
      /^h3\s+NotReady\s/m.test(await kubectl('get', 'nodes')) ? true : undefined,
    );
    t.diagnostic(`h3 NotReady ${Date.now() - diedAt} ms after the host died (grace 4 s, heartbeats 1 s)`);
    const moved = await waitFor('3 Ready web pods on h1 and h2', async () => {
      const live = await livePods('web');
      const done =
        live.length === 3 &&
        live.every((p) => p.ready && p.node !== 'h3' && p.name !== victim.name && p.hostPort !== undefined);
      return done ? live : undefined;
    });
    t.diagnostic(`web pods replaced and Ready ${Date.now() - diedAt} ms after the host died (eviction 1 s)`);
    assert.deepEqual([...new Set(moved.map((p) => p.node))].sort(), ['h1', 'h2']);
    // The DaemonSet's pods on the live hosts stay one each; none is made for h3 elsewhere.
    const ds = await waitFor('one Ready ds pod on h1 and on h2', async () => {
      const live = (await livePods('ds')).filter((p) => p.node !== 'h3');
      return live.length === 2 && live.every((p) => p.ready) ? live : undefined;
    });
    assert.deepEqual(ds.map((p) => p.node).sort(), ['h1', 'h2']);
    // The replacements answer across the bridge, from h2.
    const bodies = await getFrom(
      'h2',
      moved.map((p) => `http://${p.hostIP}:${p.hostPort ?? 0}/`),
    );
    assert.deepEqual(
      bodies,
      moved.map((p) => `web on ${p.node}\n`),
    );

    const status = await waitFor('cluster status showing h3 down', async () => {
      const text = await clusterStatus();
      return /^h3\s+Unknown\s.*node\.kubernetes\.io\/unreachable:NoExecute/m.test(text) ? text : undefined;
    });
    t.diagnostic(status);
    for (const host of ['h1', 'h2'])
      assert.match(status, new RegExp(`^${host}\\s+True\\s+\\S+\\s+\\d+s ago\\s+\\d+\\s+<none>$`, 'm'));
  },
);
