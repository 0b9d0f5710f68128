import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { ConnectionGuard } from './connection-guard.js';
import { resolveLimits, type ConnectionLimits } from './connection-limits.js';

// Short, but long enough that a loaded machine's stalls do not reach them.
const SHORT: ConnectionLimits = {
  headersTimeoutMs: 1000,
  keepAliveTimeoutMs: 1000,
  requestTimeoutMs: 1000,
  maxConnections: 50,
  maxConnectionsPerClient: 20,
};

/** An HTTP server behind a guard on 127.0.0.1: `/slow` streams for `ms`, anything else echoes the body size. */
async function guarded(
  t: TestContext,
  limits: ConnectionLimits,
): Promise<{ guard: ConnectionGuard; port: number }> {
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    if (req.url?.startsWith('/slow')) {
      const end = Date.now() + Number(req.url.split('=')[1]);
      res.writeHead(200);
      const timer = setInterval(() => {
        if (Date.now() < end) return void res.write('.');
        clearInterval(timer);
        res.end('done');
      }, 50);
      return;
    }
    let size = 0;
    req.on('data', (d: Buffer) => (size += d.length));
    req.on('end', () => res.end(`got ${size}`));
  });
  const guard = new ConnectionGuard({
    limits: resolveLimits(limits, {}, 4096),
    servers: [server],
    dispatch: (socket) => server.emit('connection', socket),
    refusal: (why) =>
      `HTTP/1.1 503 Service Unavailable\r\nContent-Length: ${why.length}\r\nConnection: close\r\n\r\n${why}`,
  });
  await guard.listen(0, '127.0.0.1');
  t.after(() => guard.close());
  return { guard, port: guard.address()?.port ?? 0 };
}

/** A raw connection and a promise of everything it received until the server closed it. */
async function open(
  port: number,
  localAddress = '127.0.0.1',
): Promise<{ socket: Socket; closed: Promise<string> }> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (text += d));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((r) => socket.once('close', () => r(text)));
  return { socket, closed };
}

/** Sends bytes now and then until the socket closes. */
function trickle(socket: Socket, bytes: string): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    socket.write(bytes[i++ % bytes.length] ?? 'x');
  }, 50);
}

test('idle and trickling connections are closed by the header and keep-alive timeouts', async (t) => {
  const { guard, port } = await guarded(t, SHORT);
  const idle = await open(port);
  const slowloris = await open(port);
  slowloris.socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-A: ');
  trickle(slowloris.socket, 'abcdef');
  const kept = await open(port);
  kept.socket.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\n');
  const keptTrickling = await open(port);
  keptTrickling.socket.write('GET /b HTTP/1.1\r\nHost: x\r\n\r\n');
  trickle(keptTrickling.socket, 'GET /c HTTP/1.1\r\nX-B: ');
  const slowBody = await open(port);
  slowBody.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n');
  trickle(slowBody.socket, 'body');

  assert.equal(await idle.closed, '');
  assert.equal(await slowloris.closed, '');
  assert.match(await kept.closed, /^HTTP\/1\.1 200 OK[\s\S]*got 0$/);
  assert.match(await keptTrickling.closed, /^HTTP\/1\.1 200 OK[\s\S]*got 0$/);
  assert.equal(await slowBody.closed, '');
  // A request that begins on an idle connection and never completes is a header timeout.
  assert.deepEqual(guard.stats.timedOut, { headers: 3, keepAlive: 1, request: 1 });
  while (guard.open > 0) await new Promise((r) => setImmediate(r));
});

test('uploads that keep moving and long answers outlast every timeout', async (t) => {
  const { port } = await guarded(t, { ...SHORT, requestTimeoutMs: 0 });
  const started = Date.now();
  const upload = new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/', agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    let sent = 0;
    const timer = setInterval(() => {
      req.write(Buffer.alloc(1000));
      if (++sent === 60) {
        clearInterval(timer);
        req.end();
      }
    }, 50);
  });
  assert.equal(await upload, 'got 60000');
  assert.ok(Date.now() - started > 2000, 'the upload took longer than the timeouts');
  const download = await fetch(`http://127.0.0.1:${port}/slow?ms=2500`);
  assert.match(await download.text(), /^\.+done$/);
});

test('connections beyond the caps are answered and closed; the others are served', async (t) => {
  const { guard, port } = await guarded(t, {
    ...SHORT,
    headersTimeoutMs: 60_000,
    maxConnections: 30,
    maxConnectionsPerClient: 10,
  });
  const held = await Promise.all(Array.from({ length: 10 }, () => open(port, '127.0.0.2')));
  const over = await open(port, '127.0.0.2');
  assert.match(await over.closed, /^HTTP\/1\.1 503 [\s\S]*client$/);
  assert.equal(guard.stats.refused.client, 1);
  held.push(
    ...(await Promise.all(Array.from({ length: 20 }, (_, i) => open(port, `127.0.0.${3 + (i % 3)}`)))),
  );
  const full = await open(port, '127.0.0.9');
  assert.match(await full.closed, /^HTTP\/1\.1 503 [\s\S]*total$/);
  assert.equal(guard.stats.refused.total, 1);
  held.pop()?.socket.destroy();
  while (guard.open >= 30) await new Promise((r) => setImmediate(r));
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'got 0', 'a freed slot serves again');
  for (const h of held) h.socket.destroy();
});
