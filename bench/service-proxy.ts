/**
 * Service proxy benchmark (issue 10): the time from an endpoint change written to the API to the
 * first request the proxy routes by it. `bin/stratus up` runs as users run it (its agent runs the
 * service proxy with the `node` driver); a Service without selector has one EndpointSlice that
 * this benchmark writes, switching it between two upstreams in this process. After each write a
 * client sends requests one after another (keep-alive) to the ClusterIP until the new upstream
 * answers; the time from just before the write to that answer is one sample. The path measured:
 * API write → watch → informer → configuration → data plane threads. `STRATUS_BENCH_SVC_CHANGES`
 * (default 60) sizes it; about half a minute.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, Agent, request, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../src/client/index.js';
import type { KubeObject } from '../src/common/kube-object.js';
import { until } from './api-tools.js';
import type { BenchResult } from './result.js';

const CHANGES = Number(process.env.STRATUS_BENCH_SVC_CHANGES ?? 60);

/** An upstream on 127.0.0.1 answering its name. */
async function upstream(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_q, r) => r.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One GET to the ClusterIP: the body (an upstream's name), or an error text. */
function get(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', (e) => resolve(`error ${e.message}`));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(`error ${e.message}`));
    req.end();
  });
}

function slice(port: number): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'switch-1',
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'switch', 'endpointslice.kubernetes.io/managed-by': 'bench' },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
  };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] as number;
};

/** Runs the benchmark (see the file comment). */
export async function benchServiceProxy(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-svc-'));
  const bin = fileURLToPath(new URL('../../bin/stratus', import.meta.url));
  let child: ChildProcess | undefined;
  let client: KubeClient | undefined;
  const ups = [await upstream('a'), await upstream('b')];
  try {
    child = spawn(bin, ['up', '--data-dir', dir, '--port', '0', '--s3-port', '0'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    client = await until(async () => {
      const c = KubeClient.fromKubeconfig(join(dir, 'kubeconfig'));
      const nodes = await c.list('nodes');
      if (nodes.items.length > 0) return c;
      await c.close();
      return undefined;
    }, 'stratus up');
    const svc = await client.create('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'switch', namespace: 'default' },
      spec: { ports: [{ name: 'http', port: 8080, appProtocol: 'http' }] },
    });
    const ip = (svc['spec'] as { clusterIP: string }).clusterIP;
    let current = await client.create('endpointslices', slice(ups[0]!.port));
    await until(async () => ((await get(ip, 8080)) === 'a' ? true : undefined), 'the first endpoint');
    const samples: number[] = [];
    const writes: number[] = [];
    for (let i = 1; i <= CHANGES; i++) {
      const target = i % 2 === 0 ? 'a' : 'b';
      const next = slice(ups[i % 2]!.port);
      next.metadata = { ...next.metadata, resourceVersion: current.metadata?.resourceVersion ?? '' };
      const t0 = performance.now();
      const written = client.update('endpointslices', next).then((o) => {
        writes.push(performance.now() - t0);
        return o;
      });
      const deadline = t0 + 10_000;
      let answered = '';
      while (answered !== target && performance.now() < deadline) answered = await get(ip, 8080);
      if (answered !== target) throw new Error(`change ${i}: ${target} did not answer within 10 s`);
      samples.push(performance.now() - t0);
      current = await written;
    }
    const p50 = quantile(samples, 0.5);
    const p99 = quantile(samples, 0.99);
    console.error(
      `service proxy: ${CHANGES} endpoint changes, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms; ` +
        `the API write alone: p50 ${quantile(writes, 0.5).toFixed(1)} ms, p99 ${quantile(writes, 0.99).toFixed(1)} ms`,
    );
    return [
      { name: 'endpoint change → first request routed, p50', value: p50, unit: 'ms' },
      { name: 'endpoint change → first request routed, p99', value: p99, unit: 'ms', goal: '<= 100 ms' },
    ];
  } finally {
    agent.destroy();
    await client?.close();
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    for (const u of ups) u.server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
