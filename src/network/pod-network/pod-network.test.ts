import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createProxy } from '../create-proxy.js';
import { runNft } from '../nftables/nftables-data-plane.js';
import { freePort } from '../../common/free-port.js';
import {
  httpGetInNetns,
  startTcpServerInNetns,
  tcpReadInNetns,
  type NetnsServer,
} from '../testing/netns-process.js';
import { startUpstream } from '../testing/upstream.js';
import { ip, netnsList } from './ip-command.js';
import { PodNetwork } from './pod-network.js';
import { removePodNetworkLeftovers } from './pod-network-cleanup.js';

// Real namespaces, veths and a bridge of the test's own (names and a range from the pid), and a
// service range of loopback no other test uses (127.96.0.0/16). Everything goes in `after`.
const missing = PodNetwork.unavailable();
if (missing !== undefined && process.env.CI === 'true') throw new Error(`${missing}; required under CI`);
if (missing !== undefined) console.log(`# skipping the pod network tests: ${missing}`);
const skip = missing !== undefined;

const tag = `pn${process.pid % 100000}`;
const names = { bridge: `st${tag}`, netnsPrefix: `st${tag}-`, table: `stratus-test-${tag}` };
const cidr = `10.${200 + (process.pid % 50)}.${process.pid % 250}.0/24`;
const SERVICE_CIDR = '127.96.0.0/16';
const cleanups: Array<() => Promise<unknown>> = [];
let stateDir: string;

after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  if (skip) return;
  // By name, whatever the tests left.
  for (const ns of await netnsList()) if (ns.startsWith(names.netnsPrefix)) await ip(['netns', 'del', ns]);
  await ip(['link', 'del', names.bridge]).catch(() => undefined);
  await runNft('nft', ['delete', 'table', 'ip', names.table]).catch(() => undefined);
  if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
});

async function open(): Promise<PodNetwork> {
  stateDir ??= await mkdtemp(join(tmpdir(), 'stratus-podnet-'));
  return PodNetwork.open({ podCIDR: cidr, stateDir, names, serviceCidrs: [SERVICE_CIDR], forwarding: false });
}

const pod = (name: string) => ({ uid: randomUUID(), namespace: 'shop', name });
const ns = (uid: string) => `${names.netnsPrefix}${uid}`;

test('pods get an address on the bridge, reach each other, and their files', { skip }, async () => {
  const net = await open();
  const a = pod('a');
  const b = { ...pod('b'), hostname: 'bee', subdomain: 'hive' };
  const sa = await net.setUp(a);
  const sb = await net.setUp(b);
  assert.notEqual(sa.podIP, sb.podIP);
  assert.equal(sa.netnsPath, `/run/netns/${ns(a.uid)}`);
  assert.deepEqual(await net.setUp(a), sa, 'a repeated setUp returns the same sandbox');
  assert.match(
    await readFile(sb.hostsFile, 'utf8'),
    new RegExp(`^${sb.podIP}\\tbee\\.hive\\.shop\\.svc\\.cluster\\.local\\tbee$`, 'm'),
  );
  assert.equal(
    await readFile(sa.resolvConfFile, 'utf8'),
    `search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${net.gateway}\noptions ndots:5\n`,
  );
  let server: NetnsServer | undefined = await startTcpServerInNetns(ns(b.uid), 7000, 'hello from b');
  cleanups.push(() => server?.close() ?? Promise.resolve());
  assert.equal((await tcpReadInNetns(ns(a.uid), sb.podIP, 7000)).trim(), 'hello from b', 'pod to pod');
  await server.close();
  server = undefined;

  await net.tearDown(b.uid);
  await net.tearDown(b.uid);
  assert.ok(!(await netnsList()).includes(ns(b.uid)), 'the namespace is gone');
  await assert.rejects(readFile(sb.hostsFile, 'utf8'), /ENOENT/);
  await assert.rejects(ip(['link', 'show', 'dev', `sv${b.uid.replaceAll('-', '').slice(0, 13)}`]));
  await net.tearDown(a.uid);
  await net.close();
});

test('a pod reaches a Service address on the host: userspace proxy and kernel DNAT', { skip }, async () => {
  const net = await open();
  const p = pod('client');
  await net.setUp(p);
  cleanups.push(() => net.tearDown(p.uid));
  const up = await startUpstream({ id: 'svc-endpoint' });
  cleanups.push(() => up.close());

  const userspace = await createProxy({ threads: 1 });
  cleanups.push(() => userspace.close());
  const port = await freePort('127.96.0.10');
  await userspace.apply({
    listeners: [
      {
        name: 'shop/web:http',
        address: '127.96.0.10',
        port,
        protocol: 'tcp',
        endpoints: [{ id: 'e', address: up.address, port: up.port }],
      },
    ],
  });
  assert.equal((await httpGetInNetns(ns(p.uid), `http://127.96.0.10:${port}/`)).trim(), 'svc-endpoint');

  const kernel = await createProxy({ l4: 'nftables', nftTable: `${names.table}-dnat`, threads: 1 });
  cleanups.push(() => kernel.close());
  await kernel.apply({
    listeners: [
      {
        name: 'shop/api:http',
        address: '127.96.0.11',
        port: 80,
        protocol: 'tcp',
        endpoints: [{ id: 'e', address: up.address, port: up.port }],
      },
    ],
  });
  assert.equal((await httpGetInNetns(ns(p.uid), 'http://127.96.0.11/')).trim(), 'svc-endpoint');
});

test('20 restarts with pods coming and going leak no address, namespace or veth', { skip }, async () => {
  let net = await open();
  const live = new Map<string, string>();
  for (const name of ['r0', 'r1', 'r2']) {
    const p = pod(name);
    live.set(p.uid, (await net.setUp(p)).podIP);
  }
  for (let i = 0; i < 20; i++) {
    await net.close();
    net = await open();
    // A crash between allocation and setUp on the previous round: a record without namespace.
    const gone = await net.reconcile(new Set(live.keys()));
    if (i > 0) assert.equal(gone.length, 1, `round ${i}: the half-made pod is removed`);
    // One pod goes, one comes, one is half made (claimed but never set up: the crash).
    const [first] = live.keys();
    await net.tearDown(first as string);
    live.delete(first as string);
    const p = pod(`n${i}`);
    live.set(p.uid, (await net.setUp(p)).podIP);
    (net as unknown as { ipam: { allocate(uid: string): string } }).ipam.allocate(randomUUID());

    const records = await readdir(join(stateDir, 'ips'));
    const ips = records.filter((f) => /^\d/.test(f));
    assert.equal(ips.length, live.size + 1, `round ${i}: one record per pod, plus the half-made one`);
    assert.equal(new Set(live.values()).size, live.size, `round ${i}: no address twice`);
    for (const [uid, podIP] of live) {
      assert.ok(records.includes(podIP), `round ${i}: ${uid} keeps ${podIP}`);
      const again = await net.setUp({ uid, namespace: 'shop', name: 'x' });
      assert.equal(again.podIP, podIP, `round ${i}: a setUp after restart keeps the address`);
    }
    const nss = (await netnsList()).filter((n) => n.startsWith(names.netnsPrefix));
    assert.equal(nss.length, live.size, `round ${i}: one namespace per pod`);
    const veths = await ip(['-o', 'link', 'show', 'master', names.bridge]);
    assert.equal(veths.trim().split('\n').length, live.size, `round ${i}: one veth per pod`);
  }
  await net.reconcile(new Set());
  assert.deepEqual(
    (await readdir(join(stateDir, 'ips'))).filter((f) => /^\d/.test(f)),
    [],
  );
  assert.deepEqual(
    (await netnsList()).filter((n) => n.startsWith(names.netnsPrefix)),
    [],
  );
  await net.destroy();
  await assert.rejects(ip(['link', 'show', 'dev', names.bridge]));
});

test('a bridge another range holds is refused, not shared', { skip }, async () => {
  const net = await open();
  await assert.rejects(
    PodNetwork.open({ podCIDR: '10.199.199.0/24', stateDir, names, forwarding: false }),
    (err: Error & { code?: string }) =>
      err.code === 'POD_NETWORK_FAILED' && /another agent on this host/.test(err.message),
  );
  await net.close();
});

test('the crash cleanup removes namespaces, veths and the bridge', { skip }, async () => {
  const net = await open();
  const p = pod('left');
  await net.setUp(p);
  const lines = await removePodNetworkLeftovers(names);
  assert.ok(lines.includes(`pod network: removed network namespace ${ns(p.uid)}`), lines.join('\n'));
  assert.ok(lines.includes(`pod network: removed bridge ${names.bridge}`), lines.join('\n'));
  assert.deepEqual(
    (await netnsList()).filter((n) => n.startsWith(names.netnsPrefix)),
    [],
  );
  await assert.rejects(ip(['link', 'show', 'dev', names.bridge]));
  assert.deepEqual(await removePodNetworkLeftovers(names), ['pod network: nothing left']);
});
