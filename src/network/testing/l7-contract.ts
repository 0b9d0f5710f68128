/**
 * The behaviour every L7 data plane must show, beyond the algorithms: forwarding headers,
 * keep-alive, WebSocket, cookie and source persistence, retries, connection limits, size
 * limits, timeouts, active and passive health, the access log and counters. Real upstreams,
 * real clients; the node and haproxy drivers both run it (availability-contract.ts has the
 * tests under load).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { DataPlane } from '../data-plane.js';
import type { ListenerConfig } from '../proxy-config.js';
import { get, text } from './data-plane-subject.js';
import { freePort } from '../../common/free-port.js';
import { eventually } from './eventually.js';
import { startUpstream, type Upstream } from './upstream.js';

/** Builds a fresh data plane; `accessLogPath` turns its access log on. */
export type PlaneFactory = (accessLogPath: string) => Promise<DataPlane>;

/** The fixture the suites share: upstreams, a data plane and its listener's port. */
export interface L7Fixture {
  plane: DataPlane;
  port: number;
  ups: Upstream[];
  logPath: string;
  /** Applies one listener on `port` over `endpoints` (upstreams or raw ones). */
  apply(
    endpoints: Array<
      | Upstream
      | { id: string; address: string; port: number; weight?: number; terminating?: boolean; ready?: boolean }
    >,
    extra?: Partial<ListenerConfig>,
  ): Promise<void>;
  /** One GET; status, endpoint and body. */
  send(
    path?: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; endpoint: string; body: string; setCookie: string | undefined }>;
}

/** Starts the fixture (five upstreams e0 … e4) and closes it after the suite. */
export function l7Fixture(make: PlaneFactory): L7Fixture {
  const fixture = {} as L7Fixture;
  before(async () => {
    fixture.ups = await Promise.all(['e0', 'e1', 'e2', 'e3', 'e4'].map((id) => startUpstream({ id })));
    fixture.logPath = `${process.env.TMPDIR ?? '/tmp'}/stratus-lb-${process.pid}-${Date.now()}.log`;
    fixture.plane = await make(fixture.logPath);
    fixture.port = await freePort();
    // A new client connection after every change: HAProxy serves connections opened before a
    // reload with the old configuration until they close.
    let agent = new Agent({ keepAlive: true, maxSockets: 1 });
    fixture.apply = async (endpoints, extra = {}) => {
      agent.destroy();
      agent = new Agent({ keepAlive: true, maxSockets: 1 });
      await fixture.plane.apply({
        listeners: [
          {
            name: 'default/web:http',
            address: '127.0.0.1',
            port: fixture.port,
            protocol: 'http',
            ...extra,
            endpoints: endpoints.map((e) => ({
              id: e.id,
              address: e.address,
              port: e.port,
              ...('weight' in e && e.weight !== undefined ? { weight: e.weight } : {}),
              ...('terminating' in e && e.terminating !== undefined ? { terminating: e.terminating } : {}),
              ...('ready' in e && e.ready !== undefined ? { ready: e.ready } : {}),
            })),
          },
        ],
      });
    };
    fixture.send = async (path = '/', headers = {}) => {
      const res = await get(fixture.port, path, { agent, headers });
      const body = await text(res);
      const cookie = res.headers['set-cookie']?.[0];
      return {
        status: res.statusCode ?? 0,
        endpoint: String(res.headers['x-endpoint']),
        body,
        setCookie: cookie,
      };
    };
  });
  after(async () => {
    await fixture.plane.close();
    await Promise.all(fixture.ups.map((u) => u.close()));
  });
  return fixture;
}

/** Registers the L7 behaviour suite for a data plane. */
export function l7Contract(label: string, make: PlaneFactory): void {
  describe(`${label}: L7 behaviour`, () => {
    const f = l7Fixture(make);
    const e = (i: number): Upstream => f.ups[i] as Upstream;

    it('adds X-Forwarded-For, -Proto and -Host and keeps connections alive on both sides', async () => {
      await f.apply([e(0)]);
      const before = e(0).connections;
      const r = await f.send('/echo-headers', { host: 'shop.example', 'x-forwarded-for': '10.1.2.3' });
      const seen = JSON.parse(r.body) as Record<string, string>;
      assert.match(seen['x-forwarded-for'] ?? '', /^10\.1\.2\.3, ?127\.0\.0\.1$/);
      assert.equal(seen['x-forwarded-proto'], 'http');
      assert.equal(seen['x-forwarded-host'], 'shop.example');
      for (let i = 0; i < 20; i++) assert.equal((await f.send()).status, 200);
      assert.ok(
        e(0).connections - before <= 3,
        `21 requests opened ${e(0).connections - before} upstream connections`,
      );
    });

    it("passes a trusted front's X-Forwarded-* on unchanged with trustForwarded", async () => {
      await f.apply([e(0)], { trustForwarded: true });
      const r = await f.send('/echo-headers', {
        host: 'shop.example',
        'x-forwarded-for': '10.1.2.3',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'shop.example:8443',
      });
      const seen = JSON.parse(r.body) as Record<string, string>;
      assert.equal(seen['x-forwarded-for'], '10.1.2.3');
      assert.equal(seen['x-forwarded-proto'], 'https');
      assert.equal(seen['x-forwarded-host'], 'shop.example:8443');
    });

    it('upgrades to WebSocket and pipes both ways', async () => {
      await f.apply([e(1)]);
      const socket = connect(f.port, '127.0.0.1');
      socket.write(
        'GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      let got = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (got += d));
      await eventually('the 101 answer', () => got.includes('\r\n\r\n'));
      assert.match(got, /^HTTP\/1\.1 101/);
      assert.match(got, /x-endpoint: e1/i);
      socket.write('ping-frame');
      await eventually('the echo', () => got.endsWith('ping-frame'));
      socket.destroy();
    });

    it('pins 100 cookie clients each to one endpoint, and moves those of a removed endpoint', async () => {
      await f.apply([e(0), e(1), e(2)], { persistence: { type: 'cookie', cookieName: 'LB' } });
      const clients: Array<{ cookie: string; endpoint: string }> = [];
      for (let i = 0; i < 100; i++) {
        const first = await f.send();
        assert.ok(first.setCookie?.startsWith('LB='), `no LB cookie: ${String(first.setCookie)}`);
        clients.push({ cookie: String(first.setCookie).split(';')[0] as string, endpoint: first.endpoint });
      }
      assert.equal(new Set(clients.map((c) => c.endpoint)).size, 3, 'new clients were not spread');
      for (const c of clients) {
        for (let i = 0; i < 3; i++)
          assert.equal((await f.send('/', { cookie: c.cookie })).endpoint, c.endpoint);
      }
      await f.apply([e(0), e(2)], { persistence: { type: 'cookie', cookieName: 'LB' } });
      for (const c of clients) {
        const r = await f.send('/', { cookie: c.cookie });
        if (c.endpoint === 'e1') assert.notEqual(r.endpoint, 'e1');
        else assert.equal(r.endpoint, c.endpoint, 'a client of an endpoint that stayed moved');
      }
    });

    it('keeps a client address on one endpoint with source persistence', async () => {
      await f.apply([e(0), e(1), e(2)], { persistence: { type: 'source', timeoutMs: 60_000 } });
      const seen = new Set<string>();
      for (let c = 1; c <= 12; c++) {
        const localAddress = `127.31.0.${c}`;
        const first = String((await get(f.port, '/', { localAddress })).headers['x-endpoint']);
        seen.add(first);
        for (let i = 0; i < 4; i++) {
          const res = await get(f.port, '/', { localAddress });
          res.resume();
          assert.equal(res.headers['x-endpoint'], first, `client ${localAddress} moved`);
        }
      }
      assert.ok(seen.size >= 2, 'all clients went to one endpoint');
    });

    it('retries a connect failure on another endpoint, for any method', async () => {
      const closed = await freePort();
      await f.apply([{ id: 'gone', address: '127.0.0.1', port: closed }, e(3)]);
      for (let i = 0; i < 10; i++) {
        const res = await new Promise<{ status: number; endpoint: string }>((resolve, reject) => {
          const req = request(
            { host: '127.0.0.1', port: f.port, method: 'POST', path: '/', agent: false },
            (r) => {
              r.resume();
              resolve({ status: r.statusCode ?? 0, endpoint: String(r.headers['x-endpoint']) });
            },
          );
          req.once('error', reject);
          req.end('order=1');
        });
        assert.deepEqual(res, { status: 200, endpoint: 'e3' });
      }
    });

    it('lets a client that expects 100 Continue send its body', async () => {
      await f.apply([e(0)]);
      const answer = await new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: f.port,
            method: 'PUT',
            path: '/',
            agent: false,
            headers: { expect: '100-continue', 'content-length': 5 },
          },
          (r) => resolve(text(r)),
        );
        req.once('continue', () => req.end('hello'));
        req.once('error', reject);
        req.setTimeout(10_000, () => req.destroy(new Error('no answer')));
      });
      assert.equal(answer, 'e0\n');
    });

    it('does not retry a POST that failed after it was sent, but retries a GET', async () => {
      await f.apply([e(3), e(4)], { retries: 2 });
      const hits = (): number => e(3).hits + e(4).hits;
      const before = hits();
      const post = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: f.port, method: 'POST', path: '/reset', agent: false },
          (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          },
        );
        req.once('error', reject);
        req.end('x');
      });
      assert.equal(post, 502);
      assert.equal(hits() - before, 1, 'the POST was sent more than once');
      const again = hits();
      assert.equal((await f.send('/reset')).status, 502);
      assert.ok(hits() - again >= 2, `a failing GET was tried ${hits() - again} time(s)`);
    });

    it('sends nothing new to an endpoint at its connection limit', async () => {
      await f.apply([e(0), e(1)], { maxConnectionsPerEndpoint: 1 });
      let held: { endpoint: string; token: string } | undefined;
      const res = await get(f.port, '/hold/limit1');
      held = { endpoint: String(res.headers['x-endpoint']), token: 'limit1' };
      const body = text(res);
      const other = held.endpoint === 'e0' ? 'e1' : 'e0';
      for (let i = 0; i < 10; i++) assert.equal((await f.send()).endpoint, other);
      f.ups.find((u) => u.id === held?.endpoint)?.release(held.token);
      assert.match(await body, /done/);
      held = undefined;
    });

    it('refuses oversized bodies (413) and header blocks (4xx) without reaching an endpoint', async () => {
      await f.apply([e(2)], { maxBodyBytes: 1000, maxHeaderBytes: 4096 });
      const before = e(2).hits;
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: f.port,
            method: 'PUT',
            path: '/',
            agent: false,
            headers: { 'content-length': 5000 },
          },
          (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          },
        );
        req.once('error', reject);
        req.end(Buffer.alloc(5000));
      });
      assert.equal(status, 413);
      const big = await get(f.port, '/', { headers: { 'x-big': 'a'.repeat(24_000) } }).catch(() => undefined);
      if (big !== undefined) {
        big.resume();
        assert.ok((big.statusCode ?? 0) >= 400 && (big.statusCode ?? 0) < 500, `status ${big.statusCode}`);
      }
      assert.equal(e(2).hits, before, 'a refused request reached the endpoint');
    });

    it('answers 504 when the endpoint does not answer within the request timeout', async () => {
      await f.apply([e(3)], { requestTimeoutMs: 300, retries: 0 });
      assert.equal((await f.send('/slow/3000')).status, 504);
    });

    it('takes an endpoint out after failed health checks and back after passing ones', async () => {
      const healthCheck = {
        type: 'http' as const,
        path: '/healthz',
        intervalMs: 100,
        timeoutMs: 500,
        rise: 1,
        fall: 1,
      };
      await f.apply([e(0), e(1)], { healthCheck });
      e(1).switches.healthy = false;
      try {
        await eventually('e1 taken out', async () => {
          const seen = new Set<string>();
          for (let i = 0; i < 10; i++) seen.add((await f.send()).endpoint);
          return seen.size === 1 && seen.has('e0');
        });
      } finally {
        e(1).switches.healthy = true;
      }
      await eventually('e1 back', async () => (await f.send()).endpoint === 'e1');
    });

    it('ejects an endpoint answering 5xx and takes it back after the cool-down', async () => {
      await f.apply([e(2), e(3)], { passiveHealth: { consecutiveFailures: 3, ejectMs: 500 } });
      e(3).switches.failing = true;
      try {
        await eventually('e3 ejected', async () => {
          for (let i = 0; i < 10; i++) if ((await f.send()).endpoint !== 'e2') return false;
          return true;
        });
      } finally {
        e(3).switches.failing = false;
      }
      await eventually('e3 back', async () => (await f.send()).endpoint === 'e3');
    });

    it('writes an access log line per request and counts per endpoint', async () => {
      await f.apply([e(4)]);
      const before = (await f.plane.stats())[0]?.endpoints.find((x) => x.id === 'e4')?.traffic.requests ?? 0;
      for (let i = 0; i < 5; i++) await f.send('/logged');
      await eventually('five requests counted', async () => {
        const s = (await f.plane.stats())[0];
        const mine = s?.endpoints.find((x) => x.id === 'e4');
        return mine !== undefined && mine.traffic.requests - before >= 5 && mine.state === 'serving';
      });
      await eventually('log lines', async () => {
        const lines = (await readFile(f.logPath, 'utf8').catch(() => ''))
          .split('\n')
          .filter((l) => l.includes('/logged'));
        return (
          lines.length >= 5 &&
          lines.every((l) => (JSON.parse(l) as { endpoint: string; status: number }).endpoint === 'e4')
        );
      });
    });
  });
}
