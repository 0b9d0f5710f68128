import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { issueTestChain } from '../identity/testing.js';
import { loopbackUrlHost, urlHost } from './listen-url.js';
import { isLoopbackAddress, sniffTls } from './tls-sniff.js';

test('loopback: 127.0.0.0/8, ::1 and their IPv4-mapped form; nothing else', () => {
  for (const a of ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.2']) assert.ok(isLoopbackAddress(a), a);
  for (const a of ['10.0.0.1', '::', '0.0.0.0', '::ffff:10.0.0.1', 'fe80::1', '128.0.0.1', undefined])
    assert.ok(!isLoopbackAddress(a), String(a));
});

test('URLs: a name as given, loopback for the unspecified address, brackets for IPv6', () => {
  const at = (address: string, family = address.includes(':') ? 'IPv6' : 'IPv4'): AddressInfo => ({
    address,
    family,
    port: 1,
  });
  assert.equal(urlHost(at('10.0.0.5'), 'api.example'), 'api.example');
  assert.equal(urlHost(at('0.0.0.0'), '0.0.0.0'), '127.0.0.1');
  assert.equal(urlHost(at('::'), '::'), '[::1]');
  assert.equal(urlHost(at('fd00::2'), 'fd00::2'), '[fd00::2]');
  assert.equal(loopbackUrlHost(at('127.0.0.1')), '127.0.0.1');
  assert.equal(loopbackUrlHost(at('0.0.0.0')), '127.0.0.1');
  assert.equal(loopbackUrlHost(at('10.0.0.5')), undefined);
});

/** A port that sniffs: TLS to an https server, plain HTTP to an http server when `allow` says so. */
async function sniffing(t: TestContext, allow: boolean): Promise<{ port: number; ca: string }> {
  const { root: ca, leaf } = issueTestChain();
  const plain = createServer((_req, res) => res.end('plain'));
  const tls = createHttpsServer({ cert: leaf.cert, key: leaf.key }, (_req, res) => res.end('tls'));
  const dispatch = sniffTls({ tls, plain, allowPlain: () => allow, refusal: 'use https' });
  const sockets = new Set<Socket>();
  const front = createNetServer((s) => {
    sockets.add(s);
    dispatch(s);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    front.close();
  });
  return { port: (front.address() as AddressInfo).port, ca: ca.cert };
}

function get(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : request;
    const req = send(url, { ...(ca ? { ca } : {}), agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the first byte decides: TLS always, plain HTTP where allowed, else a 400 naming https', async (t) => {
  const open = await sniffing(t, true);
  assert.deepEqual(await get(`https://127.0.0.1:${open.port}/`, open.ca), { status: 200, body: 'tls' });
  assert.deepEqual(await get(`http://127.0.0.1:${open.port}/`), { status: 200, body: 'plain' });
  const closed = await sniffing(t, false);
  assert.deepEqual(await get(`https://127.0.0.1:${closed.port}/`, closed.ca), { status: 200, body: 'tls' });
  assert.deepEqual(await get(`http://127.0.0.1:${closed.port}/`), {
    status: 400,
    body: 'Client sent an HTTP request to an HTTPS server: use https\n',
  });
});
