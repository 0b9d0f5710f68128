/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return -- tests read kubectl JSON by path */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloud, UP_COMPONENTS, type RunningCloud } from '../cli/up.js';
import { MAIN_JS } from '../cli/testing.js';
import { eventually, kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { findHaproxy } from '../network/index.js';
import { selfSignedCertificate } from './default-certificate.js';

const haproxyMissing = findHaproxy() === undefined;
if (haproxyMissing && process.env.CI === 'true')
  throw new Error('haproxy is required under CI (SYSTEM_DEPS)');
let dir: string;
let cloud: RunningCloud;

/** A web server that answers who it is and what the ingress told it, ready once listening. */
const APP = `
require('node:http').createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ app: process.env.APP, path: req.url, proto: req.headers['x-forwarded-proto'],
    for: req.headers['x-forwarded-for'], host: req.headers['x-forwarded-host'] }));
}).listen(Number(process.env.PORT));
`;

function app(name: string, servicePort: Record<string, unknown>): unknown[] {
  const labels = { app: name };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name,
                image: 'node:20-alpine',
                command: ['node', '-e', APP],
                env: [{ name: 'APP', value: name }],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { selector: labels, ports: [{ ...servicePort, targetPort: 'http' }] },
    },
  ];
}

function tlsSecret(name: string, host: string): { doc: unknown; ca: string; key: string } {
  const pair = selfSignedCertificate(host, [host]);
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return {
    key: pair.key,
    doc: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(pair.cert), 'tls.key': b64(pair.key) },
    },
    ca: pair.cert,
  };
}

const path = (p: string, pathType: string, service: string, port: Record<string, unknown>): unknown => ({
  path: p,
  pathType,
  backend: { service: { name: service, port } },
});

function ingress(apiPathTo: string, annotations: Record<string, string> = {}): unknown {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', annotations },
    spec: {
      tls: [
        { hosts: ['shop.example'], secretName: 'shop-tls' },
        { hosts: ['api.example'], secretName: 'api-tls' },
      ],
      rules: [
        {
          host: 'shop.example',
          http: {
            paths: [
              path('/', 'Prefix', 'shop', { name: 'web' }),
              path('/api', 'Prefix', apiPathTo, apiPathTo === 'api' ? { number: 8080 } : { name: 'web' }),
            ],
          },
        },
        {
          host: 'api.example',
          http: {
            paths: [
              path('/v1', 'Prefix', 'api', { number: 8080 }),
              path('/exact', 'Exact', 'shop', { name: 'web' }),
            ],
          },
        },
      ],
    },
  };
}

const ingressClass = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name: 'stratus', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
  spec: { controller: 'stratus.dev/ingress-controller' },
};

async function kubectl(...args: string[]): Promise<string> {
  const run = await runKubectl(dir, cloud.server.kubeconfigPath, args);
  if (run.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

async function apply(name: string, docs: unknown[]): Promise<void> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }));
  await kubectl('apply', '-f', file);
}

interface Curl {
  status: number;
  body: string;
  location: string;
}

/** curl as a user runs it: the name resolved to loopback, the host's own certificate trusted. */
function curl(url: string, ca?: string): Promise<Curl> {
  const u = new URL(url);
  const args = ['-s', '-S', '--max-time', '10', '--resolve', `${u.hostname}:${u.port}:127.0.0.1`];
  if (ca !== undefined) args.push('--cacert', join(dir, `${ca}.pem`));
  args.push('-o', '-', '-w', '\n%{http_code} %{redirect_url}', url);
  return new Promise((resolve, reject) => {
    execFile('curl', args, { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${url}: ${stderr}`));
      const cut = stdout.lastIndexOf('\n');
      const [status = '0', location = ''] = stdout.slice(cut + 1).split(' ');
      resolve({ status: Number(status), body: stdout.slice(0, cut), location });
    });
  });
}

const appOf = (r: Curl): string | undefined =>
  r.status === 200 ? (JSON.parse(r.body) as { app: string }).app : undefined;

// The same test for each L7 driver: the Node front before the node data plane, and HAProxy
// routing and terminating TLS itself.
for (const l7 of ['node', 'haproxy'] as const) {
  const skip =
    kubectlSkipReason() ?? (l7 === 'haproxy' && haproxyMissing ? 'haproxy is not installed' : undefined);
  describe(`Ingress on the ${l7} driver`, () => {
    before(async () => {
      if (skip) return;
      dir = await mkdtemp(join(tmpdir(), 'stratus-ingress-'));
      cloud = await startCloud(
        {
          dataDir: join(dir, 'data'),
          apiPort: 0,
          controllers: true,
          ingress: { httpPort: 0, httpsPort: 0, l7 },
        },
        UP_COMPONENTS,
      );
    });
    after(async () => {
      if (skip) return;
      await cloud.close();
      await rm(dir, { recursive: true, force: true });
    });

    test(
      `an Ingress routes two hosts and two paths to two Services over TLS with SNI (${l7} driver)`,
      { skip: skip ?? false },
      async () => {
        const shop = tlsSecret('shop-tls', 'shop.example');
        const api = tlsSecret('api-tls', 'api.example');
        await writeFile(join(dir, 'shop.pem'), shop.ca);
        await writeFile(join(dir, 'api.pem'), api.ca);
        await apply('apps', [
          ...app('shop', { name: 'web', port: 80 }),
          ...app('api', { port: 8080 }),
          shop.doc,
          api.doc,
          ingressClass,
          ingress('api'),
        ]);
        await kubectl('rollout', 'status', 'deploy/shop', 'deploy/api', '--timeout=90s');

        // The controller writes where it listens into the Ingress's status.
        const lb = await eventually('the Ingress status', async () => {
          const ing = JSON.parse(await kubectl('get', 'ingress', 'web', '-o', 'json'));
          return ing.status?.loadBalancer?.ingress?.[0];
        });
        assert.equal(lb.ip, '127.0.0.1');
        const [http, https] = (lb.ports as Array<{ port: number }>).map((p) => p.port) as [number, number];
        const table = await kubectl('get', 'ingress');
        assert.match(table, /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\n/);
        assert.match(table, /\nweb\s+<none>\s+shop\.example,api\.example\s+127\.0\.0\.1\s+80, 443\s+\S+\n/);

        const stratusGet = await new Promise<string>((resolve, reject) =>
          execFile(
            process.execPath,
            [MAIN_JS, 'get', 'ingress'],
            { env: { ...process.env, KUBECONFIG: cloud.server.kubeconfigPath, HOME: dir }, timeout: 30_000 },
            (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)),
          ),
        );
        const noAge = (t: string): string =>
          t
            .split('\n')
            .map((l) => l.replace(/\S+$/, ''))
            .join('\n');
        assert.equal(noAge(stratusGet), noAge(table), 'stratus get prints what kubectl prints');

        const shopUrl = `https://shop.example:${https}`;
        const apiUrl = `https://api.example:${https}`;
        await eventually(
          'both Services answer through the Ingress',
          async () =>
            appOf(await curl(`${shopUrl}/`, 'shop')) === 'shop' &&
            appOf(await curl(`${apiUrl}/v1/x`, 'api')) === 'api',
        );
        const home = JSON.parse((await curl(`${shopUrl}/cart?x=1`, 'shop')).body);
        assert.deepEqual(home, {
          app: 'shop',
          path: '/cart?x=1',
          proto: 'https',
          for: '127.0.0.1',
          host: `shop.example:${https}`,
        });
        assert.equal(appOf(await curl(`${shopUrl}/api/items`, 'shop')), 'api');
        assert.equal(
          appOf(await curl(`${shopUrl}/apix`, 'shop')),
          'shop',
          'Prefix matches whole path elements',
        );
        assert.equal(appOf(await curl(`${apiUrl}/exact`, 'api')), 'shop');
        assert.equal((await curl(`${apiUrl}/exact/`, 'api')).status, 404, 'Exact matches only exactly');
        assert.equal((await curl(`${apiUrl}/`, 'api')).status, 404, 'no rule, no default backend');
        // SNI picks each host's own certificate: the other host's CA does not verify it.
        await assert.rejects(curl(`${apiUrl}/v1`, 'shop'), /certificate/);
        assert.equal((await curl(`http://other.example:${http}/`)).status, 404);

        // Plain HTTP to a host with TLS is redirected (ingress-nginx's default).
        const redirect = await curl(`http://shop.example:${http}/cart?x=1`);
        assert.equal(redirect.status, 308);
        assert.equal(redirect.location, `https://shop.example:${https}/cart?x=1`);

        // An update takes effect without a restart, on a connection opened before it.
        const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(join(dir, 'shop.pem')) });
        const viaAgent = (p: string): Promise<{ app: string; reused: boolean }> =>
          new Promise((resolve, reject) => {
            const req = request(
              {
                host: '127.0.0.1',
                port: https,
                servername: 'shop.example',
                headers: { host: 'shop.example' },
                path: p,
                agent,
              },
              (res) => {
                let body = '';
                res.on('data', (d: Buffer) => (body += d.toString()));
                res.on('end', () =>
                  resolve({ app: (JSON.parse(body) as { app: string }).app, reused: req.reusedSocket }),
                );
              },
            );
            req.on('error', reject);
            req.end();
          });
        assert.equal((await viaAgent('/api/items')).app, 'api');
        await apply('ingress', [ingress('shop', { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' })]);
        await eventually('/api goes to shop after the update', async () =>
          (await curl(`${shopUrl}/api/items`, 'shop')).body.includes('"shop"'),
        );
        const after = await viaAgent('/api/items');
        assert.deepEqual(after, { app: 'shop', reused: true });
        agent.destroy();
        assert.equal(
          appOf(await curl(`http://shop.example:${http}/`)),
          'shop',
          'ssl-redirect "false" serves plain HTTP',
        );

        // Deleting the Ingress stops its routes; its hosts get the default certificate again.
        await kubectl('delete', 'ingress', 'web');
        await eventually(
          'the routes are gone',
          async () => (await curl(`http://shop.example:${http}/`)).status === 404,
        );
        await assert.rejects(curl(`${shopUrl}/`, 'shop'), /certificate/);
      },
    );

    test(
      `the default certificate (names no Secret covers) is signed by the cluster CA: curl --cacert, no -k (${l7} driver)`,
      { skip: skip ?? false },
      async () => {
        const line = cloud.lines.find((l) => l.startsWith('Ingress controller')) ?? '';
        const https = /https:\/\/[^ ]+:(\d+)/.exec(line)?.[1];
        assert.ok(https !== undefined, line);
        await writeFile(join(dir, 'cluster.pem'), cloud.server.tls.trust?.pem ?? '');
        // No Ingress serves these names: the controller answers 404 over a verified connection.
        assert.equal((await curl(`https://localhost:${https}/`, 'cluster')).status, 404);
        assert.equal((await curl(`https://127.0.0.1:${https}/`, 'cluster')).status, 404);
        // Not self-signed: a host's own certificate does not verify it.
        await writeFile(join(dir, 'other.pem'), selfSignedCertificate('other', ['localhost']).cert);
        await assert.rejects(curl(`https://localhost:${https}/`, 'other'), /certificate/);
      },
    );
  });
}
