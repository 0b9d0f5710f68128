/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any -- tests read JSON replies by path */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../cli/server.js';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';

const skip = kubectlSkipReason();

/** A server on `dir` (reused across restarts) with fetch and kubectl helpers. */
async function serve(dir: string, options: Partial<ServerOptions> = {}) {
  const server: RunningServer = await startServer({ dataDir: join(dir, 'data'), apiPort: 0, ...options });
  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }> => {
    const res = await fetch(server.httpUrl + path, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  };
  const kubectl = async (...args: string[]) => runKubectl(dir, server.kubeconfigPath, args);
  const create = (name: string, spec: Record<string, unknown>) =>
    call('POST', '/api/v1/namespaces/default/services', {
      metadata: { name },
      spec: { ports: [{ port: 80 }], ...spec },
    });
  return { server, call, kubectl, create };
}

const inDefaultRange = (ip: string): boolean => /^127\.77\.\d+\.\d+$/.test(ip);

test(
  'cluster IPs and node ports: allocated in range, requested ones honoured or refused, released on delete',
  { skip: skip ?? false },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-svc-alloc-'));
    const { server, call, kubectl, create } = await serve(dir);
    try {
      const made = await kubectl('create', 'service', 'clusterip', 'web', '--tcp=80:8080');
      assert.equal(made.code, 0, made.stderr);
      const web = (await call('GET', '/api/v1/namespaces/default/services/web')).body;
      assert.ok(inDefaultRange(web.spec.clusterIP), web.spec.clusterIP);
      assert.deepEqual(web.spec.clusterIPs, [web.spec.clusterIP]);
      assert.deepEqual(web.spec.ipFamilies, ['IPv4']);
      assert.equal(web.spec.ipFamilyPolicy, 'SingleStack');
      const table = await kubectl('get', 'svc', 'web');
      assert.match(
        table.stdout,
        new RegExp(
          `^web\\s+ClusterIP\\s+${web.spec.clusterIP.replace(/\./g, '\\.')}\\s+<none>\\s+80/TCP\\s+`,
          'm',
        ),
      );

      // A requested address is honoured; the same one again is refused with Kubernetes' words.
      assert.equal((await create('fixed', { clusterIP: '127.77.0.10' })).status, 201);
      const dup = await kubectl(
        'create',
        'service',
        'clusterip',
        'dup',
        '--tcp=80',
        '--clusterip=127.77.0.10',
      );
      assert.equal(dup.code, 1);
      assert.match(
        dup.stderr,
        /Service "dup" is invalid: spec\.clusterIPs: Invalid value: \[\]string\{"127\.77\.0\.10"\}: failed to allocate IP 127\.77\.0\.10: provided IP is already allocated/,
      );
      const outside = await create('outside', { clusterIP: '10.0.0.1' });
      assert.equal(outside.status, 422);
      assert.match(
        outside.body.message,
        /failed to allocate IP 10\.0\.0\.1: provided IP is not in the valid range\. The range of valid IPs is 127\.77\.0\.0\/16$/,
      );
      assert.equal((await call('GET', '/api/v1/namespaces/default/services/outside')).status, 404);

      // Released on delete: the address can be requested again at once.
      assert.equal((await kubectl('delete', 'svc', 'fixed')).code, 0);
      assert.equal((await create('fixed2', { clusterIP: '127.77.0.10' })).status, 201);

      // The cluster IP may not change; re-sending the manifest without it keeps it.
      const moved = await kubectl(
        'patch',
        'svc',
        'web',
        '-p',
        '{"spec":{"clusterIP":"127.77.0.11","clusterIPs":["127.77.0.11"]}}',
      );
      assert.equal(moved.code, 1);
      assert.match(
        moved.stderr,
        /spec\.clusterIPs\[0\]: Invalid value: \[\]string\{"127\.77\.0\.11"\}: may not change once set/,
      );
      const again = await call('PUT', '/api/v1/namespaces/default/services/web', {
        metadata: { name: 'web', resourceVersion: web.metadata.resourceVersion },
        spec: { selector: { app: 'web' }, ports: [{ name: '80-8080', port: 80, targetPort: 8080 }] },
      });
      assert.equal(again.status, 200, again.body.message);
      assert.equal(again.body.spec.clusterIP, web.spec.clusterIP);

      // Headless Services get no address; ExternalName ones neither.
      await writeFile(
        join(dir, 'headless.yaml'),
        'apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}\n',
      );
      assert.equal((await kubectl('apply', '-f', join(dir, 'headless.yaml'))).code, 0);
      assert.match(
        (await kubectl('get', 'svc', 'db')).stdout,
        /^db\s+ClusterIP\s+None\s+<none>\s+5432\/TCP/m,
      );
      const ext = await create('ext', { type: 'ExternalName', externalName: 'example.com', ports: [] });
      assert.equal(ext.status, 201);
      assert.equal(ext.body.spec.clusterIP, undefined);

      // Node ports: allocated in 30000-32767, requested ones honoured or refused.
      const np = await create('np', { type: 'NodePort' });
      assert.ok(np.body.spec.ports[0].nodePort >= 30000 && np.body.spec.ports[0].nodePort <= 32767);
      assert.equal(
        (await create('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })).status,
        201,
      );
      const taken = await kubectl('create', 'service', 'nodeport', 'np3', '--tcp=80', '--node-port=30080');
      assert.match(
        taken.stderr,
        /spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/,
      );
      const low = await create('np4', { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] });
      assert.match(
        low.body.message,
        /spec\.ports\[0\]\.nodePort: Invalid value: 8080: provided port is not in the valid range\. The range of valid ports is 30000-32767/,
      );
      // A type change back to ClusterIP gives the node port back.
      const back = await kubectl('patch', 'svc', 'np2', '-p', '{"spec":{"type":"ClusterIP"}}');
      assert.equal(back.code, 0, back.stderr);
      assert.equal(
        (await create('np5', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })).status,
        201,
      );

      // A Service stored before addresses were allocated gets one on its next update.
      await server.store.create('services', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'legacy',
          namespace: 'default',
          uid: 'legacy-uid',
          creationTimestamp: '2024-01-01T00:00:00Z',
        },
        spec: {
          type: 'ClusterIP',
          ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
          sessionAffinity: 'None',
        },
      });
      const relabel = await kubectl('label', 'svc', 'legacy', 'tier=web');
      assert.equal(relabel.code, 0, relabel.stderr);
      const legacy = (await call('GET', '/api/v1/namespaces/default/services/legacy')).body;
      assert.ok(inDefaultRange(legacy.spec.clusterIP), JSON.stringify(legacy.spec));

      // A server-side dry run takes nothing.
      const dry = await kubectl(
        'create',
        'service',
        'clusterip',
        'dry',
        '--tcp=80',
        '--clusterip=127.77.0.12',
        '--dry-run=server',
      );
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal((await create('wet', { clusterIP: '127.77.0.12' })).status, 201);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test('many concurrent creates get distinct addresses, and a restart on the same data hands none out twice', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-svc-alloc-'));
  const ranges = { serviceClusterIPRange: '127.77.9.0/27', serviceNodePortRange: '31000-31039' };
  let running = await serve(dir, ranges);
  try {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => running.create(`s${i}`, { type: 'NodePort' })),
    );
    const made = results.filter((r) => r.status === 201);
    assert.equal(made.length, 29, 'a /27 holds 30 addresses, the first for the `kubernetes` Service');
    const ips = made.map((r) => r.body.spec.clusterIP as string);
    assert.equal(new Set(ips).size, 29);
    assert.ok(
      ips.every(
        (ip) =>
          /^127\.77\.9\.(\d+)$/.test(ip) && Number(ip.split('.')[3]) >= 2 && Number(ip.split('.')[3]) <= 30,
      ),
    );
    assert.equal(new Set(made.map((r) => r.body.spec.ports[0].nodePort)).size, 29);
    for (const r of results.filter((x) => x.status !== 201)) {
      assert.equal(r.status, 500);
      assert.equal(r.body.message, 'Internal error occurred: failed to allocate a serviceIP: range is full');
    }

    await running.server.close();
    running = await serve(dir, ranges);
    // Rebuilt from the stored Services: still full, and a freed address is the one handed out.
    assert.equal((await running.create('late', {})).status, 500);
    assert.equal((await running.call('DELETE', '/api/v1/namespaces/default/services/s0')).status, 200);
    const freed = made.find((r) => r.body.metadata.name === 's0')?.body.spec.clusterIP;
    const next = await running.create('late', {});
    assert.equal(next.status, 201, next.body.message);
    assert.equal(next.body.spec.clusterIP, freed);
    // Node ports likewise: only the ports s0 and s1 gave back are free.
    assert.equal((await running.call('DELETE', '/api/v1/namespaces/default/services/s1')).status, 200);
    const np = await running.create('late-np', { type: 'NodePort' });
    assert.equal(np.status, 201, np.body.message);
    const freedPorts = made
      .filter((r) => ['s0', 's1'].includes(r.body.metadata.name))
      .map((r) => r.body.spec.ports[0].nodePort);
    assert.ok(freedPorts.includes(np.body.spec.ports[0].nodePort));
    const all = (await running.call('GET', '/api/v1/services')).body.items as any[];
    const held = all.flatMap((s) => (s.spec.ports ?? []).map((p: any) => p.nodePort).filter(Boolean));
    const addresses = all.map((s) => s.spec.clusterIP).filter((ip) => ip && ip !== 'None');
    assert.equal(new Set(held).size, held.length, 'no node port twice');
    assert.equal(new Set(addresses).size, addresses.length, 'no address twice');
  } finally {
    await running.server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
