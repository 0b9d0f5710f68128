import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startTestCluster, type TestCluster } from '../../api/testing.js';
import { KubeClient } from '../../client/index.js';
import { eventually } from '../testing/eventually.js';
import { ClusterDns } from './cluster-dns.js';
import { TYPE, encodeQuery, encodeResponse, parseQuery } from './dns-message.js';

// A real API server, the cluster DNS on loopback port 0, and a tiny upstream resolver of the
// test's own on loopback that answers every name with 203.0.113.7 (nothing leaves the host).
let c: TestCluster;
let client: KubeClient;
let server: ClusterDns;
let resolver: dns.Resolver;
const upstream = createSocket('udp4');

before(async () => {
  upstream.on('message', (msg, rinfo) => {
    const q = parseQuery(msg);
    const question = q.questions[0];
    const answers =
      question?.type === TYPE.A
        ? [{ name: question.name, ttl: 30, type: 'A' as const, address: '203.0.113.7' }]
        : [];
    upstream.send(
      encodeResponse({ id: q.id, rd: q.rd, aa: true, ra: true, rcode: 0, questions: q.questions, answers }),
      rinfo.port,
      rinfo.address,
    );
  });
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
  c = await startTestCluster();
  client = new KubeClient({
    server: c.url,
    token: c.server.adminToken,
    namespace: 'default',
    contextName: 'test',
  });
  server = await ClusterDns.start({
    client,
    address: '127.0.0.1',
    port: 0,
    upstreams: [`127.0.0.1:${upstream.address().port}`],
  });
  resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${server.port}`]);
});

after(async () => {
  await server?.close();
  await client?.close();
  await c?.close();
  upstream.close();
});

const services = 'services';
const slices = 'endpointslices';

async function resolves(name: string): Promise<string[] | 'ENOTFOUND' | 'ENODATA'> {
  try {
    return (await resolver.resolve4(name)).sort();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return code;
    throw err;
  }
}

test('a Service name answers its ClusterIP, follows changes, and goes with the Service', async () => {
  await client.create(services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  });
  const svc = (await client.get(services, 'web', { namespace: 'default' })) as unknown as {
    spec: { clusterIP: string };
  };
  await eventually(
    'web resolves',
    async () => (await resolves('web.default.svc.cluster.local'))[0] === svc.spec.clusterIP,
  );
  const srv = await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local');
  assert.deepEqual(
    srv.map((s) => [s.name, s.port]),
    [['web.default.svc.cluster.local', 80]],
  );
  assert.equal(await resolves('nope.default.svc.cluster.local'), 'ENOTFOUND');
  assert.equal(await resolves('default.svc.cluster.local'), 'ENODATA');
  await client.delete(services, 'web', { namespace: 'default' });
  await eventually(
    'web is gone',
    async () => (await resolves('web.default.svc.cluster.local')) === 'ENOTFOUND',
  );
});

test('a headless Service answers its ready endpoints as the slices change', async () => {
  await client.create(services, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'db', namespace: 'default' },
    spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] },
  });
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'db-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } },
    addressType: 'IPv4',
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.244.0.5'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.244.0.6'], conditions: { ready: false } },
    ],
  };
  await client.create(slices, slice);
  await eventually(
    'db resolves',
    async () => (await resolves('db.default.svc.cluster.local')).toString() === '10.244.0.5',
  );
  assert.deepEqual(await resolves('db-0.db.default.svc.cluster.local'), ['10.244.0.5']);
  const current = await client.get(slices, 'db-1', { namespace: 'default' });
  await client.update(slices, {
    ...current,
    endpoints: slice.endpoints.map((e) => ({ ...e, conditions: { ready: true } })),
  });
  await eventually(
    'both endpoints',
    async () => (await resolves('db.default.svc.cluster.local')).toString() === '10.244.0.5,10.244.0.6',
  );
  assert.deepEqual(await resolves('10-244-0-9.default.pod.cluster.local'), ['10.244.0.9']);
});

test('other names are forwarded to the upstream resolvers', async () => {
  assert.deepEqual(await resolves('www.example.test'), ['203.0.113.7']);
});

test('queries over TCP are answered with the length framing', async () => {
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const s = connect(server.port, '127.0.0.1');
    const q = encodeQuery(77, 'db-0.db.default.svc.cluster.local', TYPE.A);
    s.on('connect', () => s.write(Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q])));
    let got = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        s.end();
        resolve(got);
      }
    });
    s.on('error', reject);
  });
  assert.equal(reply.readUInt16BE(0), reply.length - 2);
  assert.equal(reply.readUInt16BE(2), 77);
  assert.equal(reply[5]! & 0x0f, 0, 'NOERROR');
  assert.equal(reply.readUInt16BE(8), 1, 'one answer');
});

test('TCP connections beyond the cap are closed; the ones held keep being answered', async () => {
  const query = (s: Socket, id: number) =>
    new Promise<'answered' | 'closed'>((resolve) => {
      const q = encodeQuery(id, 'www.example.test', TYPE.A);
      s.once('data', () => resolve('answered'));
      s.once('close', () => resolve('closed'));
      s.write(Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]));
    });
  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect(server.port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    });
  const held: Socket[] = [];
  try {
    for (let i = 0; i < 256; i++) held.push(await open());
    // Each answered query proves the server accepted that connection before the next one.
    for (const [i, s] of held.entries()) assert.equal(await query(s, i), 'answered');
    const extra = await open().catch(() => undefined);
    if (extra !== undefined) assert.equal(await query(extra, 999), 'closed');
    assert.equal(await query(held[0]!, 1000), 'answered');
  } finally {
    for (const s of held) s.destroy();
  }
});
