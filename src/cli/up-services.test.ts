/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any -- tests read kubectl JSON by path */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { findHaproxy, findNft, tableName } from '../network/index.js';
import { eventually, runLoad } from '../network/testing/index.js';
import { MAIN_JS } from './cli-harness.js';
import { startCloud, UP_COMPONENTS, type RunningCloud } from './up.js';

// Issue 10's Services as a user reaches them: `stratus up` (the server and an agent running the
// service proxy) with real pods of the process runtime, driven by kubectl and reached with curl
// and a bounded Node client, for each L7 driver.

const KUBECTL = '/usr/bin/kubectl';
const CURL = '/usr/bin/curl';
const missingTool = [KUBECTL, CURL].find((p) => !existsSync(p));
if (missingTool !== undefined && process.env.CI === 'true')
  throw new Error(`${missingTool} is required under CI`);
const haproxyMissing = findHaproxy() === undefined;
if (haproxyMissing && process.env.CI === 'true')
  throw new Error('haproxy is required under CI (SYSTEM_DEPS)');
const WEB_YAML = fileURLToPath(new URL('../../../examples/web.yaml', import.meta.url));

/** An HTTP server on $PORT naming its pod in the body and `x-endpoint`; drains on SIGTERM. */
const ECHO = [
  "const http = require('node:http');",
  'const server = http.createServer((q, r) => {',
  "  r.setHeader('x-endpoint', process.env.HOSTNAME);",
  "  r.end(process.env.HOSTNAME + ' ' + (process.env.VERSION || '1') + '\\n');",
  '});',
  "server.listen(Number(process.env.PORT), '127.0.0.1');",
  "process.on('SIGTERM', () => server.close(() => process.exit(0)));",
].join('\n');

/** The echo Deployment and its Services; `preStopSeconds` keeps a leaving pod serving that long. */
function manifests(port: number, preStopSeconds = 0): string {
  const labels = { app: 'echo' };
  const service = (name: string, spec: object) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec,
  });
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'echo' },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            terminationGracePeriodSeconds: 10,
            containers: [
              {
                name: 'echo',
                image: 'node:20',
                command: ['node', '-e', ECHO],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
                ...(preStopSeconds > 0
                  ? { lifecycle: { preStop: { exec: { command: ['sleep', String(preStopSeconds)] } } } }
                  : {}),
              },
            ],
          },
        },
      },
    },
    service('echo', {
      type: 'LoadBalancer',
      selector: labels,
      ports: [{ name: 'http', port, targetPort: 'http', appProtocol: 'http' }],
    }),
    service('echo-tcp', {
      selector: labels,
      sessionAffinity: 'ClientIP',
      ports: [{ port: 8080, targetPort: 'http' }],
    }),
    service('echo-rr', { type: 'NodePort', selector: labels, ports: [{ port: 8080, targetPort: 'http' }] }),
  ]
    .map((m) => stringify(m))
    .join('---\n');
}

/** A Service without selector and the Endpoints that name `port` on 127.0.0.1, as a List. */
function externalService(port: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'outside' }, spec: { ports: [{ port: 8080 }] } },
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'outside' },
        subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port }] }],
      },
    ],
  });
}

/** A port free on 127.0.0.1 now (the LoadBalancer listens on the node's address). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

/** One request on a new connection: the pod that answered. */
async function curl(host: string, port: number): Promise<string> {
  const body = await run(CURL, ['-sS', '--max-time', '10', `http://${host}:${port}/`]);
  return body.split(' ')[0] ?? '';
}

/** The pods that answer `count` requests, each on a new connection. */
async function responders(host: string, port: number, count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add(await curl(host, port));
  return seen;
}

type Cli = (...args: string[]) => Promise<string>;

/** Each data path's own Service ranges, so that parallel tests never share an address. */
const RANGES = {
  node: ['127.90.0.0/16', '31700-31799'],
  haproxy: ['127.91.0.0/16', '31800-31899'],
  nftables: ['127.92.0.0/16', '31900-31999'],
} as const;

async function withCloud(path: keyof typeof RANGES, body: (kubectl: Cli, stratus: Cli) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), `stratus-up-services-${path}-`));
  let cloud: RunningCloud | undefined;
  try {
    cloud = await startCloud(
      {
        dataDir: join(dir, 'data'),
        apiPort: 0,
        s3Port: 0,
        controllers: true,
        serviceProxy: path === 'nftables' ? { l7: 'node', l4: 'nftables' } : { l7: path, l4: 'userspace' },
        serviceClusterIPRange: RANGES[path][0],
        serviceNodePortRange: RANGES[path][1],
      },
      UP_COMPONENTS,
    );
    const kubeconfig = cloud.server.kubeconfigPath;
    const env = { HOME: dir, KUBECONFIG: kubeconfig };
    await body(
      (...args) => run(KUBECTL, args, env),
      (...args) => run(process.execPath, [MAIN_JS, ...args, '--kubeconfig', kubeconfig], env),
    );
  } finally {
    await cloud?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function podNames(kubectl: (...a: string[]) => Promise<string>): Promise<Set<string>> {
  const pods = JSON.parse(await kubectl('get', 'pods', '-l', 'app=echo', '-o', 'json')) as { items: any[] };
  return new Set(
    pods.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name as string),
  );
}

const same = (a: Set<string>, b: Set<string>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

for (const l7 of ['node', 'haproxy'] as const) {
  const skip = missingTool
    ? `${missingTool} is not installed`
    : l7 === 'haproxy' && haproxyMissing
      ? 'haproxy is not installed'
      : false;
  test(
    `Services answer on ClusterIP, NodePort and LoadBalancer, follow scaling, keep ClientIP affinity and roll with zero failed requests (${l7} driver)`,
    { skip },
    async () => {
      const lbPort = await freePort();
      await withCloud(l7, async (kubectl, stratus) => {
        const dir = await mkdtemp(join(tmpdir(), 'stratus-echo-'));
        await writeFile(join(dir, 'echo.yaml'), manifests(lbPort));
        await kubectl('apply', '-f', join(dir, 'echo.yaml'));
        await rm(dir, { recursive: true, force: true });
        await kubectl('rollout', 'status', 'deploy/echo', '--timeout=90s');
        const svc = JSON.parse(await kubectl('get', 'svc', 'echo', '-o', 'json'));
        const clusterIP = svc.spec.clusterIP as string;
        const nodePort = svc.spec.ports[0].nodePort as number;
        assert.match(clusterIP, l7 === 'node' ? /^127\.90\./ : /^127\.91\./);
        const ingress = await eventually('the LoadBalancer ingress address', async () => {
          const s = JSON.parse(await kubectl('get', 'svc', 'echo', '-o', 'json'));
          return s.status?.loadBalancer?.ingress?.[0]?.ip as string | undefined;
        });

        // Each address answers with one of the pods; every pod gets requests.
        const two = await podNames(kubectl);
        assert.equal(two.size, 2);
        await eventually('both pods behind the ClusterIP', async () =>
          same(await responders(clusterIP, lbPort, 6), two),
        );
        assert.ok(two.has(await eventually('the NodePort', () => curl('127.0.0.1', nodePort))));
        assert.ok(two.has(await eventually('the LoadBalancer', () => curl(ingress, lbPort))));

        // Scaling changes the endpoints served.
        await kubectl('scale', 'deploy/echo', '--replicas=3');
        await kubectl('rollout', 'status', 'deploy/echo', '--timeout=90s');
        const three = await podNames(kubectl);
        await eventually(
          'three pods behind the ClusterIP',
          async () => same(await responders(clusterIP, lbPort, 9), three),
          { timeoutMs: 60_000 },
        );

        // ClientIP affinity: every new connection from this address goes to one pod.
        const tcpIP = JSON.parse(await kubectl('get', 'svc', 'echo-tcp', '-o', 'json')).spec
          .clusterIP as string;
        const pinned = await eventually('the affine Service', () => curl(tcpIP, 8080));
        assert.deepEqual([...(await responders(tcpIP, 8080, 12))], [pinned]);

        // A Service without selector forwards to the Endpoints a user wrote (mirrored to a slice).
        const outside = createHttpServer((_q, r) => r.end('outside 1\n'));
        await new Promise<void>((r) => outside.listen(0, '127.0.0.1', r));
        try {
          const extDir = await mkdtemp(join(tmpdir(), 'stratus-outside-'));
          await writeFile(
            join(extDir, 'outside.json'),
            externalService((outside.address() as { port: number }).port),
          );
          await kubectl('create', '-f', join(extDir, 'outside.json'));
          await rm(extDir, { recursive: true, force: true });
          const extIP = (await kubectl('get', 'svc', 'outside', '-o', 'jsonpath={.spec.clusterIP}')).trim();
          assert.equal(await eventually('the Service without selector', () => curl(extIP, 8080)), 'outside');
        } finally {
          outside.close();
        }

        // A rolling update under bounded load: no request fails.
        const rollout = kubectl('set', 'env', 'deploy/echo', 'VERSION=2').then(() =>
          kubectl('rollout', 'status', 'deploy/echo', '--timeout=120s'),
        );
        const load = await runLoad({
          host: clusterIP,
          port: lbPort,
          clients: 4,
          durationMs: 150_000,
          maxRequests: 200_000,
          until: rollout,
        });
        await rollout;
        assert.deepEqual(load.failures, {});
        assert.ok(load.ok > 0);
        const rolled = await podNames(kubectl);
        assert.equal([...rolled].filter((p) => three.has(p)).length, 0, 'every pod was replaced');
        await eventually(
          'the new pods behind the ClusterIP',
          async () => same(await responders(clusterIP, lbPort, 9), rolled),
          { timeoutMs: 60_000 },
        );

        // stratus explain service: the data plane, the algorithm and the three pods with their counts.
        const explained = await eventually('three serving endpoints in explain', async () => {
          const text = await stratus('explain', 'service', 'echo');
          const section = text
            .split('\nListener ')
            .find((p) => p.startsWith('default/echo:http (ClusterIP)'));
          const rows = (section ?? '')
            .split('\n')
            .filter((r) => /^\s+\S+:\d+\s+127\.0\.0\.1:\d+\s+serving\s+1\s+\d+\s+[\d.]+%\s+\d+$/.test(r));
          return rows.length === 3 ? text : undefined;
        });
        assert.match(explained, new RegExp(`on ${clusterIP.replace(/\./g, '\\.')}:${lbPort}, node `));
        assert.match(explained, new RegExp(`data plane ${l7} .*algorithm round-robin`));
        assert.match(explained, /\(NodePort\) on 127\.0\.0\.1:/);

        // Scaling down: the remaining pod takes everything.
        await kubectl('scale', 'deploy/echo', '--replicas=1');
        const one = await eventually(
          'one pod left',
          async () => {
            const pods = await podNames(kubectl);
            return pods.size === 1 ? pods : undefined;
          },
          { timeoutMs: 60_000 },
        );
        await eventually(
          'one pod behind the ClusterIP',
          async () => same(await responders(clusterIP, lbPort, 4), one),
          { timeoutMs: 60_000 },
        );
      });
    },
  );
}

const nft = findNft();
const nftMissing = 'missing' in nft ? nft.missing : undefined;
if (nftMissing !== undefined && process.env.CI === 'true')
  throw new Error(`${nftMissing}; required under CI`);

test(
  'the nftables path: TCP Services as DNAT rules in the node’s table, shown by explain; stratus up --cleanup removes a crashed one’s table',
  { skip: missingTool ? `${missingTool} is not installed` : (nftMissing ?? false) },
  async () => {
    const nftBinary = (nft as { binary: string }).binary;
    const table = tableName(hostname().toLowerCase());
    const tables = () => run(nftBinary, ['list', 'tables', 'ip']);
    await withCloud('nftables', async (kubectl, stratus) => {
      const dir = await mkdtemp(join(tmpdir(), 'stratus-echo-'));
      await writeFile(join(dir, 'echo.yaml'), manifests(await freePort(), 5));
      await kubectl('apply', '-f', join(dir, 'echo.yaml'));
      await rm(dir, { recursive: true, force: true });
      await kubectl('rollout', 'status', 'deploy/echo', '--timeout=90s');
      const two = await podNames(kubectl);
      const rr = JSON.parse(await kubectl('get', 'svc', 'echo-rr', '-o', 'json'));
      const [ip, nodePort] = [rr.spec.clusterIP as string, rr.spec.ports[0].nodePort as number];
      await eventually('both pods behind the ClusterIP', async () =>
        same(await responders(ip, 8080, 6), two),
      );
      assert.ok(two.has(await eventually('the NodePort', () => curl('127.0.0.1', nodePort))));
      const tcpIP = JSON.parse(await kubectl('get', 'svc', 'echo-tcp', '-o', 'json')).spec
        .clusterIP as string;
      const pinned = await eventually('the affine Service', () => curl(tcpIP, 8080));
      assert.deepEqual([...(await responders(tcpIP, 8080, 12))], [pinned]);
      // The kernel, not a listener, answers: the rules are in the node's table.
      assert.match(
        await run(nftBinary, ['list', 'table', 'ip', table]),
        new RegExp(ip.replace(/\./g, '\\.')),
      );
      assert.match(
        await stratus('explain', 'service', 'echo-rr'),
        /data plane nftables .*algorithm round-robin/,
      );
      // A rolling update under load, a connection per request: with a preStop delay, as
      // Kubernetes users give pods behind kube-proxy, the rules move before a pod stops
      // listening, and no request fails.
      const rollout = kubectl('set', 'env', 'deploy/echo', 'VERSION=2').then(() =>
        kubectl('rollout', 'status', 'deploy/echo', '--timeout=120s'),
      );
      const load = await runLoad({
        host: ip,
        port: 8080,
        clients: 4,
        durationMs: 150_000,
        maxRequests: 100_000,
        until: rollout,
        keepAlive: false,
      });
      await rollout;
      assert.deepEqual(load.failures, {});
      assert.ok(load.ok > 0);
    });
    assert.doesNotMatch(await tables(), new RegExp(`table ip ${table}\n`), 'the agent removed its table');
    // A crash leaves the table behind; stratus up --cleanup removes it.
    await run(nftBinary, ['add', 'table', 'ip', table]);
    const cleaned = await run(process.execPath, [MAIN_JS, 'up', '--cleanup']);
    assert.match(cleaned, new RegExp(`nftables: removed table ip ${table}`));
    assert.doesNotMatch(await tables(), new RegExp(`table ip ${table}\n`));
  },
);

const lowPortsNeedRoot =
  Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')) > 80 &&
  process.getuid?.() !== 0;

test(
  'the tour: examples/web.yaml’s Service answers on its ClusterIP and on a NodePort',
  {
    skip: missingTool
      ? `${missingTool} is not installed`
      : lowPortsNeedRoot
        ? 'port 80 needs root or net.ipv4.ip_unprivileged_port_start=0'
        : false,
  },
  async () => {
    await withCloud('node', async (kubectl) => {
      await kubectl('apply', '-f', WEB_YAML);
      await kubectl('rollout', 'status', 'deploy/web', '--timeout=90s');
      const ip = (await kubectl('get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}')).trim();
      const body = await eventually('the web Service', () =>
        run(CURL, ['-sS', '--max-time', '10', `http://${ip}/`]),
      );
      assert.match(body, /^Hello from Stratus \(web-/);
      await kubectl('patch', 'svc', 'web', '-p', '{"spec":{"type":"NodePort"}}');
      const nodePort = Number(await kubectl('get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}'));
      const viaNode = await eventually('the NodePort', () =>
        run(CURL, ['-sS', '--max-time', '10', `http://127.0.0.1:${nodePort}/`]),
      );
      assert.match(viaNode, /^Hello from Stratus \(web-/);
    });
  },
);
