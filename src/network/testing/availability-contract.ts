/**
 * Availability under load, for every L7 data plane: draining, an endpoint killed under load,
 * ten endpoint changes under load, an options change (a reload for HAProxy) under load, and
 * upstreams that close idle keep-alive sockets without saying when. Every load is bounded in
 * count and time and stays on loopback; the assertion is always "no request failed".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { get, text } from './data-plane-subject.js';
import { l7Fixture, type PlaneFactory } from './l7-contract.js';
import { runLoad } from './load.js';
import { startUpstream, type Upstream } from './upstream.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Eight clients of load (bounded) while `changes` run, one every 400 ms; the load stops after them. */
function loadDuring(port: number, changes: Array<() => Promise<void>>): ReturnType<typeof runLoad> {
  const until = (async () => {
    for (const change of changes) {
      await sleep(400);
      await change();
    }
    await sleep(400);
  })();
  return runLoad({ port, clients: 8, durationMs: 20_000, maxRequests: 50_000, until });
}

/** Registers the availability suite for a data plane. */
export function availabilityContract(label: string, make: PlaneFactory): void {
  describe(`${label}: availability`, () => {
    const f = l7Fixture(make);
    const e = (i: number): Upstream => f.ups[i] as Upstream;

    it('drains: a terminating endpoint gets no new requests and its request in flight finishes', async () => {
      await f.apply([e(0)]);
      const held = await get(f.port, '/hold/drain1');
      assert.equal(held.headers['x-endpoint'], 'e0');
      const body = text(held);
      await f.apply([
        { id: e(0).id, address: e(0).address, port: e(0).port, terminating: true, ready: false },
        e(1),
      ]);
      for (let i = 0; i < 10; i++) assert.equal((await f.send()).endpoint, 'e1');
      e(0).release('drain1');
      assert.match(await body, /e0 held\ne0 done/);
    });

    it('fails no request when an endpoint is killed under load', async () => {
      const victims = await Promise.all(['k0', 'k1', 'k2'].map((id) => startUpstream({ id })));
      try {
        await f.apply(victims, {
          healthCheck: { type: 'tcp', intervalMs: 200, timeoutMs: 500, rise: 1, fall: 1 },
          passiveHealth: { consecutiveFailures: 1, ejectMs: 5000 },
        });
        const load = runLoad({ port: f.port, clients: 8, durationMs: 3000, maxRequests: 20_000 });
        await sleep(800);
        const killedHits = (victims[1] as Upstream).hits;
        await (victims[1] as Upstream).kill();
        const result = await load;
        assert.ok(killedHits > 0, 'the killed endpoint had no traffic before');
        assert.equal(result.failed, 0, `failed: ${JSON.stringify(result.failures)}`);
        assert.ok((result.byEndpoint.k0 ?? 0) > 0 && (result.byEndpoint.k2 ?? 0) > 0);
      } finally {
        await Promise.all(victims.map((v) => v.close()));
      }
    });

    it('fails no request through ten endpoint changes under load', async () => {
      const sets = [
        [0, 1, 2],
        [1, 2, 3],
        [2, 3],
        [2, 3, 4],
        [0, 4],
        [0, 1, 4],
        [1, 4],
        [0, 1, 2, 3, 4],
        [3, 4],
        [0, 2],
      ];
      await f.apply([e(0), e(1), e(2)]);
      const result = await loadDuring(
        f.port,
        sets.map(
          (set, n) => () => f.apply(set.map((i) => ({ ...endpointOf(e(i)), weight: 1 + ((i + n) % 3) }))),
        ),
      );
      assert.equal(result.failed, 0, `failed: ${JSON.stringify(result.failures)}`);
      assert.ok(result.ok > 100, `only ${result.ok} requests went through`);
    });

    it('fails no request when listener options change under load', async () => {
      await f.apply([e(0), e(1)]);
      const result = await loadDuring(
        f.port,
        [0, 1, 2, 3].map(
          (i) => () =>
            f.apply([e(0), e(1)], {
              idleTimeoutMs: 30_000 + i * 1000,
              algorithm: i % 2 === 0 ? 'least-connections' : 'round-robin',
            }),
        ),
      );
      assert.equal(result.failed, 0, `failed: ${JSON.stringify(result.failures)}`);
    });

    it('fails no request on upstream keep-alive sockets the upstream closes without notice', async () => {
      const terse = await startUpstream({ id: 'terse', keepAliveTimeoutMs: 120, hideKeepAliveHint: true });
      try {
        await f.apply([terse]);
        const result = await runLoad({
          port: f.port,
          clients: 6,
          durationMs: 2500,
          maxRequests: 5000,
          pauseMs: 115,
        });
        assert.equal(result.failed, 0, `failed: ${JSON.stringify(result.failures)}`);
        assert.ok(result.ok > 50);
      } finally {
        await terse.close();
      }
    });
  });
}

function endpointOf(u: Upstream): { id: string; address: string; port: number } {
  return { id: u.id, address: u.address, port: u.port };
}
