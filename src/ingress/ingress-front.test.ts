import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import { eventually } from '../controllers/testing.js';
import { selfSignedCertificate } from './default-certificate.js';
import { createProxy, type DataPlane } from '../network/index.js';
import { backendListeners, listenerName } from './backend-listeners.js';
import { IngressFront } from './ingress-front.js';
import { buildRouteTable } from './route-table.js';
import { SniCertificates } from './sni-certificates.js';

/** Sends raw bytes to the front's HTTP port and collects the answer until the server closes. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (got += d));
    s.on('error', reject);
    s.on('close', () => resolve(got));
    s.write(text);
  });
}

describe('ingress front: limits, timeouts, upgrades', () => {
  let upstream: Server;
  let plane: DataPlane;
  let front: IngressFront;

  before(async () => {
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(`ok ${req.url ?? ''}`));
    });
    upstream.on('upgrade', (_req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
      socket.pipe(socket);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upPort = (upstream.address() as AddressInfo).port;
    const ing: Ingress = {
      metadata: { name: 'x', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: {
        rules: [
          {
            host: 'a.example',
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name: 'a', port: { number: 80 } } } },
                {
                  path: '/gone',
                  pathType: 'Prefix',
                  backend: { service: { name: 'none', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    };
    const table = buildRouteTable([ing]);
    const listeners = backendListeners(
      table.backends.values(),
      (_ns, name) => (name === 'a' ? { metadata: { name }, spec: { ports: [{ port: 80 }] } } : undefined),
      () => [
        {
          metadata: { name: 'a-1', labels: { 'kubernetes.io/service-name': 'a' } },
          addressType: 'IPv4',
          ports: [{ port: upPort }],
          endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
        },
      ],
      { maxBodyBytes: 1000, requestTimeoutMs: 10_000 },
    );
    plane = await createProxy({ threads: 1 });
    await plane.apply({ listeners });
    const upstreams = new Map<string, number>();
    for (const b of table.backends.values()) upstreams.set(b.key, plane.bound(listenerName(b))?.port ?? 0);
    front = await IngressFront.start({
      address: '127.0.0.1',
      httpPort: 0,
      httpsPort: 0,
      certificates: new SniCertificates(selfSignedCertificate('localhost', ['localhost'])),
      limits: { headersTimeoutMs: 300 },
    });
    front.setState({ table, upstreams });
  });
  after(async () => {
    await front.close();
    await plane.close();
    await new Promise((r) => upstream.close(r));
  });

  it('forwards, and answers 503 for a Service without endpoints', async () => {
    const ok = await raw(front.httpPort, 'GET /hi HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n');
    assert.match(ok, /^HTTP\/1\.1 200 [^]*\r\n\r\nok \/hi$/);
    const none = await raw(
      front.httpPort,
      'GET /gone HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n',
    );
    assert.match(none, /^HTTP\/1\.1 503 /);
  });

  it('refuses heads over 16 KiB (431) and bodies over the limit (413)', async () => {
    const big = await raw(
      front.httpPort,
      `GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`,
    );
    assert.match(big, /^HTTP\/1\.1 431 /);
    const body = 'y'.repeat(2000);
    const large = await raw(
      front.httpPort,
      `POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    assert.match(large, /^HTTP\/1\.1 413 /);
  });

  it('closes a connection whose headers do not arrive in time', async () => {
    const before = front.connectionStats.http.timedOut.headers;
    const got = await raw(front.httpPort, 'GET / HTTP/1.1\r\nHost: a.exa');
    assert.equal(got, '');
    await eventually('the timeout counted', () => front.connectionStats.http.timedOut.headers > before);
  });

  it('tunnels an Upgrade both ways', async () => {
    const s = connect(front.httpPort, '127.0.0.1');
    let got = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (got += d));
    s.write('GET /ws HTTP/1.1\r\nHost: a.example\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    await eventually('the 101', () => got.includes('\r\n\r\n'));
    assert.match(got, /^HTTP\/1\.1 101 /);
    s.write('ping');
    await eventually('the echo', () => got.endsWith('ping'));
    s.destroy();
  });
});
