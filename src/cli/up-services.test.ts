/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- tests read kubectl JSON by path */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findHaproxy } from '../network/index.js';
import { eventually, runLoad } from '../network/testing/index.js';
import {
  CURL,
  curl,
  externalService,
  manifests,
  missingTool,
  podNames,
  responders,
  run,
  same,
  withCloud,
} from './services-harness.js';
import { freePort } from '../common/free-port.js';

// Issue 10's Services as a user reaches them: `stratus up` (the server and an agent running the
// service proxy) with real pods of the process runtime, driven by kubectl and reached with curl
// and a bounded Node client, for each L7 driver.

const haproxyMissing = findHaproxy() === undefined;
if (haproxyMissing && process.env.CI === 'true')
  throw new Error('haproxy is required under CI (SYSTEM_DEPS)');
const WEB_YAML = fileURLToPath(new URL('../../../examples/web.yaml', import.meta.url));

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

const lowPortsNeedRoot =
  Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')) > 80 &&
  process.getuid?.() !== 0;

test(
  'the tour: examples/web.yaml’s Service answers on its ClusterIP and on a NodePort; the API server on `kubernetes`',
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

      // Clients in pods find the API server as in Kubernetes: `default/kubernetes` on the first
      // address of the range, port 443, with a certificate valid for that address.
      const api = JSON.parse(await kubectl('get', 'svc', 'kubernetes', '-o', 'json')) as {
        spec: { clusterIP: string; ports: { name: string; port: number }[] };
      };
      assert.equal(api.spec.clusterIP, '127.90.0.1');
      assert.deepEqual(
        api.spec.ports.map((p) => [p.name, p.port]),
        [['https', 443]],
      );
      const version = await eventually('the API through its Service', () =>
        kubectl('--server', 'https://127.90.0.1', 'get', '--raw', '/version'),
      );
      assert.match(version, /"gitVersion"/);
      await kubectl('delete', 'svc', 'kubernetes');
      await eventually(
        'the kubernetes Service put back',
        async () =>
          (await kubectl('get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}')) === '127.90.0.1',
      );
    });
  },
);
