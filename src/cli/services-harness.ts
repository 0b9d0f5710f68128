/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-explicit-any -- tests read kubectl JSON by path */
/**
 * What the Services tests through `stratus up` share (`up-services.test.ts`,
 * `up-nftables.test.ts`): a cloud per data path with its own Service ranges, the echo
 * Deployment and its Services, and clients (kubectl, curl, a bounded load).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { MAIN_JS } from './cli-harness.js';
import { startCloud, UP_COMPONENTS, type RunningCloud } from './up.js';

export const KUBECTL = '/usr/bin/kubectl';
export const CURL = '/usr/bin/curl';
export const missingTool = [KUBECTL, CURL].find((p) => !existsSync(p));
if (missingTool !== undefined && process.env.CI === 'true')
  throw new Error(`${missingTool} is required under CI`);

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
export function manifests(port: number, preStopSeconds = 0): string {
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
export function externalService(port: number): string {
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

export function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

/** One request on a new connection: the pod that answered. */
export async function curl(host: string, port: number): Promise<string> {
  const body = await run(CURL, ['-sS', '--max-time', '10', `http://${host}:${port}/`]);
  return body.split(' ')[0] ?? '';
}

/** The pods that answer `count` requests, each on a new connection. */
export async function responders(host: string, port: number, count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add(await curl(host, port));
  return seen;
}

export type Cli = (...args: string[]) => Promise<string>;

/** Each data path's own Service ranges, so that parallel tests never share an address. */
const RANGES = {
  node: ['127.90.0.0/16', '31700-31799'],
  haproxy: ['127.91.0.0/16', '31800-31899'],
  nftables: ['127.92.0.0/16', '31900-31999'],
} as const;

export async function withCloud(
  path: keyof typeof RANGES,
  body: (kubectl: Cli, stratus: Cli) => Promise<void>,
) {
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

export async function podNames(kubectl: (...a: string[]) => Promise<string>): Promise<Set<string>> {
  const pods = JSON.parse(await kubectl('get', 'pods', '-l', 'app=echo', '-o', 'json')) as { items: any[] };
  return new Set(
    pods.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name as string),
  );
}

export const same = (a: Set<string>, b: Set<string>): boolean =>
  a.size === b.size && [...a].every((x) => b.has(x));
