/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-explicit-any -- tests read kubectl JSON by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloud, UP_COMPONENTS, type RunningCloud } from '../cli/up.js';
import { collect, MAIN_JS } from '../cli/testing.js';
import { eventually, kubectlSkipReason } from './testing.js';
import { KUBECTL } from './kubectl-harness.js';

const skip = kubectlSkipReason();
let dir: string;
let cloud: RunningCloud;

/**
 * A web server that answers its pod name, is ready while `unready-<pod>` is absent from the
 * control folder, and on SIGTERM turns unready and exits only once `release` exists there, so
 * that a terminating pod stays terminating until the test lets it go.
 */
const APP = `
const http = require('node:http'); const fs = require('node:fs');
const ctl = process.env.CTL; const name = process.env.HOSTNAME; let closing = false;
http.createServer((req, res) => {
  if (req.url === '/ready') {
    res.statusCode = !closing && !fs.existsSync(ctl + '/unready-' + name) ? 200 : 503;
    return res.end();
  }
  res.end(name + '\\n');
}).listen(Number(process.env.PORT));
process.on('SIGTERM', () => { closing = true;
  setInterval(() => { if (fs.existsSync(ctl + '/release')) process.exit(0); }, 50); });
`;

/** The Deployment and three Services over it, as a stream of JSON documents. */
function manifest(ctl: string): string {
  const items = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'echo' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'echo' } },
        template: {
          metadata: { labels: { app: 'echo' } },
          spec: {
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: 'echo',
                image: 'node:20-alpine',
                command: ['node', '-e', APP],
                env: [{ name: 'CTL', value: ctl }],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
    svc('echo', { ports: [{ name: 'web', port: 80, targetPort: 'http' }] }),
    svc('echo-all', { publishNotReadyAddresses: true, ports: [{ port: 80, targetPort: 'http' }] }),
    svc('echo-lb', { type: 'LoadBalancer', ports: [{ port: 8081, targetPort: 'http' }] }),
  ];
  return items.map((i) => JSON.stringify(i)).join('\n');
}

function svc(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: 'echo' }, ...spec },
  };
}

function kubectl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      KUBECTL,
      args,
      {
        env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: cloud.server.kubeconfigPath },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    );
  });
}

const json = async (...args: string[]): Promise<any> =>
  JSON.parse(await kubectl('get', ...args, '-o', 'json'));

/** The echo pods that are not terminating, with the host port their agent gave `http`. */
async function livePods(): Promise<Array<{ name: string; ready: boolean; port: number }>> {
  const pods = (await json('pods', '-l', 'app=echo')).items.filter((p: any) => !p.metadata.deletionTimestamp);
  return pods.map((p: any) => ({
    name: p.metadata.name,
    ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
    port: JSON.parse(p.metadata.annotations?.['stratus.dev/host-ports'] ?? '{}')['echo/http'],
  }));
}

/** The endpoints of a Service's slices, by pod name. */
async function sliceEndpoints(service: string): Promise<Map<string, any>> {
  const slices = await json('endpointslices', '-l', `kubernetes.io/service-name=${service}`);
  const out = new Map<string, any>();
  for (const s of slices.items) {
    for (const e of s.endpoints ?? []) out.set(e.targetRef.name, { ...e, port: s.ports?.[0]?.port });
  }
  return out;
}

/** Endpoints' addresses as `pod → {ready, port}`. */
async function endpointsOf(service: string): Promise<Map<string, { ready: boolean; port: number }>> {
  const ep = await json('endpoints', service);
  const out = new Map<string, { ready: boolean; port: number }>();
  for (const s of ep.subsets ?? []) {
    for (const [field, ready] of [
      ['addresses', true],
      ['notReadyAddresses', false],
    ] as const) {
      for (const a of s[field] ?? []) out.set(a.targetRef.name, { ready, port: s.ports[0].port });
    }
  }
  return out;
}

/** True when the slices and the Endpoints show exactly the live pods, all ready, at their host ports. */
async function inStep(): Promise<boolean> {
  const pods = await livePods();
  if (!pods.every((p) => p.ready && p.port > 0)) return false;
  const slices = await sliceEndpoints('echo');
  const eps = await endpointsOf('echo');
  return (
    slices.size === pods.length &&
    eps.size === pods.length &&
    pods.every((p) => {
      const e = slices.get(p.name);
      return e?.conditions.ready === true && e.port === p.port && eps.get(p.name)?.port === p.port;
    })
  );
}

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'stratus-svc-ep-'));
  cloud = await startCloud({ dataDir: join(dir, 'data'), apiPort: 0, controllers: true }, UP_COMPONENTS);
});
after(async () => {
  if (skip) return;
  await writeFile(join(dir, 'release'), '');
  await cloud.close();
  await rm(dir, { recursive: true, force: true });
});

test(
  "endpoints follow a Deployment's pods at their host ports: scale, readiness, termination, rollout",
  { skip: skip ?? false },
  async () => {
    const ctl = dir;
    await writeFile(join(dir, 'echo.json'), manifest(ctl));
    await kubectl('apply', '-f', join(dir, 'echo.json'));
    await kubectl('rollout', 'status', 'deploy/echo', '--timeout=90s');
    await eventually('slices and Endpoints list both pods at their host ports', inStep);

    // The port each endpoint carries is the pod's own host port: the server answers there.
    for (const p of await livePods()) {
      assert.equal(await (await fetch(`http://127.0.0.1:${p.port}/`)).text(), `${p.name}\n`);
    }
    const slices = await json('endpointslices', '-l', 'kubernetes.io/service-name=echo');
    for (const s of slices.items) {
      assert.equal(
        s.metadata.labels['endpointslice.kubernetes.io/managed-by'],
        'endpointslice-controller.k8s.io',
      );
      assert.equal(s.metadata.ownerReferences[0].kind, 'Service');
      assert.equal(s.addressType, 'IPv4');
      assert.equal(s.ports[0].name, 'web');
    }
    const table = await kubectl('get', 'endpoints', 'echo');
    assert.match(table, /^NAME\s+ENDPOINTS\s+AGE\necho\s+127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\s+/);

    await kubectl('scale', 'deploy/echo', '--replicas=3');
    await eventually(
      'three endpoints after scaling up',
      async () => (await inStep()) && (await livePods()).length === 3,
    );

    // Readiness: an unready pod leaves the ready set but stays listed, as not ready.
    const [first] = await livePods();
    await writeFile(join(dir, `unready-${first!.name}`), '');
    await eventually('the unready pod is listed as not ready', async () => {
      const e = (await sliceEndpoints('echo')).get(first!.name);
      const ep = (await endpointsOf('echo')).get(first!.name);
      const all = (await endpointsOf('echo-all')).get(first!.name);
      return (
        e?.conditions.ready === false &&
        e.conditions.serving === false &&
        ep?.ready === false &&
        all?.ready === true
      );
    });
    await rm(join(dir, `unready-${first!.name}`));
    await eventually('ready again', inStep);

    // Termination: the pod stays in the slices as terminating (drained), leaves Endpoints, and
    // publishNotReadyAddresses keeps it there, as Kubernetes' controllers do.
    await kubectl('delete', 'pod', first!.name, '--wait=false');
    await eventually('the terminating pod shows as terminating', async () => {
      const e = (await sliceEndpoints('echo')).get(first!.name);
      return (
        e?.conditions.terminating === true &&
        e.conditions.ready === false &&
        !(await endpointsOf('echo')).has(first!.name) &&
        (await endpointsOf('echo-all')).has(first!.name)
      );
    });
    await writeFile(join(dir, 'release'), '');
    await eventually('the terminated pod is gone and its replacement listed', async () => {
      return (
        !(await sliceEndpoints('echo')).has(first!.name) &&
        (await inStep()) &&
        (await livePods()).length === 3
      );
    });

    await kubectl('scale', 'deploy/echo', '--replicas=1');
    await eventually(
      'one endpoint after scaling down',
      async () => (await inStep()) && (await livePods()).length === 1,
    );

    await kubectl('set', 'env', 'deploy/echo', 'ROUND=2');
    await kubectl('rollout', 'status', 'deploy/echo', '--timeout=90s');
    await eventually('the endpoints name only the new pods after a rollout', async () => {
      const pods = await livePods();
      const slices = await sliceEndpoints('echo');
      return (await inStep()) && [...slices.keys()].every((n) => pods.some((p) => p.name === n));
    });

    const lb = await eventually('the LoadBalancer gets the node address', async () => {
      const s = await json('svc', 'echo-lb');
      return s.status?.loadBalancer?.ingress?.[0]?.ip as string | undefined;
    });
    assert.equal(lb, '127.0.0.1');

    // The stratus CLI prints the same tables.
    const args = ['get', 'svc,endpoints,endpointslices', '--kubeconfig', cloud.server.kubeconfigPath];
    const out = await collect(spawn(process.execPath, [MAIN_JS, ...args]));
    assert.equal(out.code, 0, out.stderr);
    const [services, endpoints, sliceTable] = out.stdout.split('\n\n');
    assert.match(services ?? '', /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/);
    assert.match(services ?? '', /^service\/echo\s+ClusterIP\s+127\.77\.\d+\.\d+\s+<none>\s+80\/TCP\s/m);
    assert.match(endpoints ?? '', /^endpoints\/echo\s+127\.0\.0\.1:\d+\s/m);
    assert.match(sliceTable ?? '', /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n/);
    assert.match(
      sliceTable ?? '',
      /^endpointslice\.discovery\.k8s\.io\/echo-\w{5}\s+IPv4\s+\d+\s+127\.0\.0\.1\s/m,
    );
    assert.match(
      await kubectl('get', 'svc', 'echo-lb'),
      /echo-lb\s+LoadBalancer\s+127\.77\.\d+\.\d+\s+127\.0\.0\.1\s+8081:3\d{4}\/TCP/,
    );
  },
);
