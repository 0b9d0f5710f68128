import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import { KubeClient } from '../client/index.js';
import { startServer } from '../cli/server.js';
import { ManualClock } from '../common/clock.js';
import { APISERVER_IDENTITY_LABEL } from './apiserver-leases.js';
import { startControllerManager } from './controller-manager.js';
import { KubernetesServiceController } from './kubernetes-service-controller.js';
import { eventually } from './testing.js';

/** A TCP forwarder to `port` that the test can cut, as a server losing its store would be. */
async function cuttable(port: number): Promise<{ url: string; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${own}`,
    cut: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const addresses = (eps: Endpoints | undefined): string[] =>
  (eps?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => `${a.ip}:${s.ports?.[0]?.port ?? 0}`));

test('several API servers: the kubernetes Endpoints list every live one, a stopped one leaves at once, a dead one when its Lease expires', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-apiserver-leases-'));
  const clock = new ManualClock(Date.now());
  const server = await startServer({
    dataDir: dir,
    apiPort: 0,
    clock,
    serverName: 'a',
    endpointReconcileIntervalMs: 50,
  });
  const admin = new KubeClient({
    server: server.httpUrl,
    token: server.adminToken,
    namespace: 'default',
    contextName: 'admin',
  });
  const port = Number(new URL(server.httpUrl).port);
  const a = `127.0.0.1:${port}`;
  const endpoints = async (): Promise<string[]> =>
    addresses((await admin.get('endpoints', 'kubernetes')) as Endpoints).sort();
  // Each server's caches of Leases and Endpoints are separate watches, so a write may briefly
  // lag the other's; the servers converge on the live set.
  const listed = (what: string, want: string[]): Promise<boolean> =>
    eventually(what, async () => JSON.stringify(await endpoints()) === JSON.stringify(want));
  // A second API server on the same store: its own reconciler, client and address.
  const second = async (name: string, address: string, url: string) =>
    startControllerManager({
      client: new KubeClient({
        server: url,
        token: server.loopbackToken({ username: 'system:apiserver', groups: ['system:masters'] }),
        namespace: 'default',
        contextName: name,
      }),
      clock,
      controllers: ['kubernetes-service'],
      extra: {
        'kubernetes-service': (ctx) =>
          new KubernetesServiceController(
            ctx,
            { clusterIP: '127.77.0.1', address, port },
            { identity: name, renewIntervalMs: 50 },
          ),
      },
    });
  try {
    assert.deepEqual(await endpoints(), [a]);

    // A server that stops takes its address out at once.
    const b = await second('b', '127.0.0.2', server.httpUrl);
    await listed('b listed', [a, `127.0.0.2:${port}`]);
    const leases = (await admin.list('leases', {
      namespace: 'kube-system',
      labelSelector: `${APISERVER_IDENTITY_LABEL}=kube-apiserver`,
    })) as unknown as { items: Array<{ metadata: { name: string }; spec: { holderIdentity: string } }> };
    assert.deepEqual(leases.items.map((l) => [l.metadata.name, l.spec.holderIdentity]).sort(), [
      [`apiserver-a-127-0-0-1-${port}`, 'a'],
      [`apiserver-b-127-0-0-2-${port}`, 'b'],
    ]);
    await b.close();
    await listed('b gone', [a]);

    // A server that dies (its connection cut, nothing removed) stays until its Lease expires.
    const link = await cuttable(port);
    const c = await second('c', '127.0.0.3', link.url);
    await listed('c listed', [a, `127.0.0.3:${port}`]);
    await link.cut();
    await c.close();
    assert.deepEqual(await endpoints(), [a, `127.0.0.3:${port}`]);
    clock.advance(14_000);
    await eventually('a renewed at the new time', async () => {
      const lease = (await admin.get('leases', `apiserver-a-127-0-0-1-${port}`, {
        namespace: 'kube-system',
      })) as unknown as {
        spec: { renewTime: string };
      };
      return Date.parse(lease.spec.renewTime) >= clock.now();
    });
    assert.deepEqual(await endpoints(), [a, `127.0.0.3:${port}`], 'not expired after 14 s of 15');
    clock.advance(2_000);
    await listed('c dropped after its Lease expired', [a]);
  } finally {
    await admin.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
