import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { startSimulatedNodes } from '../agent/simulated-nodes.js';
import { EventRecorder, KubeClient } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { InformerFactory } from '../machinery/index.js';
import { allowPrivilegedPods, eventually, startControllerTestCluster } from '../controllers/testing.js';
import { SchedulerLoop } from './scheduler-loop.js';

function pod(name: string, cpu: string, hostPort?: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'x',
          resources: { requests: { cpu } },
          ...(hostPort ? { ports: [{ containerPort: 80, hostPort }] } : {}),
        },
      ],
    },
  };
}

/**
 * A real HTTP proxy in front of the API server that answers the first `failures` binding
 * requests itself with `status` (as a server losing a race or failing would) and forwards
 * everything else, so that the scheduler meets real failed bindings.
 */
async function startFaultyProxy(
  target: string,
  failures: number,
  status: number,
): Promise<{ url: string; failed: () => number; close: () => Promise<void> }> {
  const upstream = new URL(target);
  let failed = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && req.url?.endsWith('/binding') && failed < failures) {
      failed++;
      req.resume();
      const body = JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'injected failure',
        reason: status === 409 ? 'Conflict' : 'InternalError',
        code: status,
      });
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    failed: () => failed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('decisions made while bindings are in flight never double-book cpu or host ports', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  await allowPrivilegedPods(client);
  const sim = await startSimulatedNodes({
    client,
    count: 3,
    capacity: { cpu: '2', memory: '8Gi', pods: '20' },
    runPods: false,
  });
  const informers = new InformerFactory(client);
  const recorder = new EventRecorder(client, { component: 'default-scheduler' });
  // One batch decides every pod before any binding returns; 64 bindings may be in flight.
  const loop = new SchedulerLoop({ client, informers, recorder, concurrency: 64, batchSize: 100 });
  try {
    for (let i = 0; i < 9; i++) await client.create('pods', pod(`cpu-${i}`, '1'));
    for (let i = 0; i < 5; i++) await client.create('pods', pod(`port-${i}`, '0', 9090));
    await loop.start();
    const pods = await eventually('every pod decided', async () => {
      const list = (await client.list('pods')).items as Pod[];
      const { pending } = loop.queueSizes;
      const bound = list.filter((p) => p.spec?.nodeName).length;
      return pending === 0 && bound === 9 ? list : undefined;
    });
    const perNode = new Map<string, number>();
    for (const p of pods.filter((p) => p.metadata?.name?.startsWith('cpu-') && p.spec?.nodeName)) {
      perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
    }
    assert.deepEqual([...perNode.values()], [2, 2, 2], 'six 1-cpu pods on three 2-cpu nodes, no more');
    const ports = pods.filter((p) => p.metadata?.name?.startsWith('port-') && p.spec?.nodeName);
    assert.equal(new Set(ports.map((p) => p.spec?.nodeName)).size, 3, 'one host port 9090 per node');
    assert.equal(ports.length, 3);
    const failed = await eventually('FailedScheduling events for the 5 pods left', async () => {
      await recorder.flush();
      const events = (await client.list('events')).items as unknown as Event[];
      const warnings = events.filter((e) => e.reason === 'FailedScheduling');
      return warnings.length === 5 ? warnings : undefined;
    });
    assert.ok(failed.some((e) => e.message === '0/3 nodes are available: 3 Insufficient cpu.'));
    assert.ok(
      failed.some(
        (e) =>
          e.message ===
          "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports.",
      ),
    );
  } finally {
    await loop.close();
    await recorder.close();
    await informers.close();
    await sim.close();
    await cluster.close();
  }
});

for (const status of [409, 500]) {
  test(`a binding that fails with ${status} is taken back from the node and the pod is bound again`, async () => {
    const cluster = await startControllerTestCluster();
    const proxy = await startFaultyProxy(cluster.server.httpUrl, 1, status);
    const client = new KubeClient({
      server: proxy.url,
      token: cluster.server.adminToken,
      namespace: 'default',
      contextName: 'proxy',
    });
    // Room for exactly one pod: had the failed binding stayed assumed, the retry would not fit.
    const sim = await startSimulatedNodes({
      client: cluster.client,
      count: 1,
      capacity: { cpu: '1', memory: '1Gi', pods: '10' },
      runPods: false,
    });
    const informers = new InformerFactory(client);
    const recorder = new EventRecorder(client, { component: 'default-scheduler' });
    const errors: unknown[] = [];
    const loop = new SchedulerLoop({ client, informers, recorder, onError: (e) => errors.push(e) });
    try {
      await cluster.client.create('pods', pod('once', '1'));
      await loop.start();
      const bound = await eventually('the pod bound after the failed binding', async () => {
        const p = (await cluster.client.get('pods', 'once')) as Pod;
        return p.spec?.nodeName;
      });
      assert.equal(bound, 'sim-node-0');
      assert.equal(proxy.failed(), 1, 'the first binding failed');
      assert.equal(loop.bound, 1);
      assert.equal(errors.length, status === 500 ? 1 : 0, 'only the unexpected failure is reported');
      await recorder.flush();
      const events = (await cluster.client.list('events')).items as unknown as Event[];
      assert.deepEqual(
        events.map((e) => [e.reason, e.message]),
        [['Scheduled', 'Successfully assigned default/once to sim-node-0']],
      );
    } finally {
      await loop.close();
      await recorder.close();
      await informers.close();
      await sim.close();
      await client.close();
      await proxy.close();
      await cluster.close();
    }
  });
}
