import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { createProxy } from '../create-proxy.js';
import type { DataPlane } from '../data-plane.js';
import type { ListenerConfig } from '../proxy-config.js';
import { freePort } from '../../common/free-port.js';
import { startUpstream, type Upstream } from '../testing/upstream.js';
import { findNft, runNft } from './nftables-data-plane.js';

// The kernel path for real: DNAT rules in a table of the test's own, on loopback addresses of
// 127.95.0.0/16 no other test uses.
const nft = findNft();
const missing = 'missing' in nft ? nft.missing : undefined;
if (missing !== undefined && process.env.CI === 'true') throw new Error(`${missing}; required under CI`);
if (missing !== undefined) console.log(`# skipping the nftables tests: ${missing}`);
const TABLE = `stratus-test-${process.pid}`;

let ups: Upstream[];
let plane: DataPlane;
before(async () => {
  if (missing !== undefined) return;
  ups = await Promise.all(['a', 'b'].map((id) => startUpstream({ id })));
  plane = await createProxy({ l4: 'nftables', nftTable: TABLE, threads: 1 });
});
after(async () => {
  if (missing !== undefined) return;
  await plane.close();
  await Promise.all(ups.map((u) => u.close()));
});

/** Which upstream answers a GET on a new connection to address:port (from `from`). */
function endpointOf(address: string, port: number, from = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path: '/', agent: false, localAddress: from }, (res) => {
      res.resume();
      resolve(String(res.headers['x-endpoint']));
    });
    req.once('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${address}:${port}`)));
    req.end();
  });
}

async function answers(address: string, port: number, count: number, from?: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(await endpointOf(address, port, from));
  return out;
}

const tcp = (name: string, address: string, extra: Partial<ListenerConfig> = {}): ListenerConfig => ({
  name,
  address,
  port: 8080,
  protocol: 'tcp',
  endpoints: ups.map((u) => ({ id: u.id, address: u.address, port: u.port })),
  ...extra,
});

test(
  'TCP listeners become DNAT rules: round robin, weights, ClientIP affinity; HTTP stays in userspace',
  { skip: missing ?? false },
  async () => {
    const webPort = await freePort();
    await plane.apply({
      listeners: [
        tcp('rr', '127.95.0.1'),
        tcp('weighted', '127.95.0.2', {
          algorithm: 'weighted-round-robin',
          endpoints: ups.map((u, i) => ({
            id: u.id,
            address: u.address,
            port: u.port,
            weight: i === 0 ? 3 : 1,
          })),
        }),
        tcp('affine', '127.95.0.3', { persistence: { type: 'source', timeoutMs: 60_000 } }),
        tcp('web', '127.0.0.1', { port: webPort, protocol: 'http' }),
      ],
    });
    assert.deepEqual(await answers('127.95.0.1', 8080, 6), ['a', 'b', 'a', 'b', 'a', 'b']);
    const weighted = await answers('127.95.0.2', 8080, 8);
    assert.equal(weighted.filter((e) => e === 'a').length, 6);
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      assert.equal(new Set(await answers('127.95.0.3', 8080, 5, from)).size, 1, `pinned: ${from}`);
    }
    assert.deepEqual(plane.bound('rr'), { address: '127.95.0.1', port: 8080 });
    assert.deepEqual(plane.bound('web'), { address: '127.0.0.1', port: webPort });
    assert.ok(['a', 'b'].includes(await endpointOf('127.0.0.1', webPort)));

    const stats = await plane.stats();
    const rr = stats.find((s) => s.name === 'rr');
    assert.equal(rr?.driver, 'nftables');
    assert.deepEqual(
      rr?.endpoints.map((e) => [e.id, e.traffic.requests, e.state]),
      [
        ['a', 3, 'serving'],
        ['b', 3, 'serving'],
      ],
    );
    assert.equal(stats.find((s) => s.name === 'web')?.driver, 'node');
  },
);

test(
  'an endpoint leaving takes no new connections; the table is replaced whole and goes with close()',
  { skip: missing ?? false },
  async () => {
    const [a, b] = ups as [Upstream, Upstream];
    await plane.apply({
      listeners: [
        tcp('rr', '127.95.0.1', {
          endpoints: [
            { id: 'a', address: a.address, port: a.port, ready: false, serving: true, terminating: true },
            { id: 'b', address: b.address, port: b.port },
          ],
        }),
      ],
    });
    assert.deepEqual(new Set(await answers('127.95.0.1', 8080, 4)), new Set(['b']));
    const listed = await runNft((nft as { binary: string }).binary, ['list', 'table', 'ip', TABLE]);
    assert.doesNotMatch(listed, /127\.95\.0\.2/, 'the listeners left out are gone from the kernel');
    // A configuration with a wrong value changes nothing.
    await assert.rejects(plane.apply({ listeners: [tcp('rr', '127.95.0.1', { port: 70_000 })] }), /port/);
    assert.deepEqual(new Set(await answers('127.95.0.1', 8080, 2)), new Set(['b']));
    const other = await createProxy({ l4: 'nftables', nftTable: `${TABLE}-2`, threads: 1 });
    await other.apply({ listeners: [tcp('x', '127.95.0.9')] });
    await other.close();
    const tables = await runNft((nft as { binary: string }).binary, ['list', 'tables', 'ip']);
    assert.match(tables, new RegExp(`table ip ${TABLE}\n`));
    assert.doesNotMatch(tables, new RegExp(`table ip ${TABLE}-2\n`));
  },
);
