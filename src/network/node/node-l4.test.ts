/**
 * The userspace L4 proxy of the node data plane: TCP connections balanced per connection,
 * ClientIP (source) persistence, connect failures moved to another endpoint, health, draining
 * of open connections, and UDP datagrams both ways.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { EndpointConfig, ListenerConfig } from '../proxy-config.js';
import { eventually } from '../testing/eventually.js';
import { NodeDataPlane } from './node-data-plane.js';

/** A TCP server that writes its id on connect and echoes what it reads. */
async function tcpEcho(
  id: string,
): Promise<{ id: string; server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    s.write(`${id}\n`);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { id, server, port: (server.address() as { port: number }).port, sockets };
}

/** Connects (optionally from a source address) and reads the endpoint's id line. */
function whoAnswers(port: number, localAddress?: string): Promise<{ id: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      port,
      host: '127.0.0.1',
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      got += d;
      const nl = got.indexOf('\n');
      if (nl !== -1) resolve({ id: got.slice(0, nl), socket });
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before the endpoint answered')));
  });
}

describe('node data plane: L4', () => {
  let plane: NodeDataPlane;
  let echoes: Array<Awaited<ReturnType<typeof tcpEcho>>>;
  const ep = (i: number, extra: Partial<EndpointConfig> = {}): EndpointConfig => {
    const e = echoes[i] as (typeof echoes)[number];
    return { id: e.id, address: '127.0.0.1', port: e.port, ...extra };
  };
  const apply = async (endpoints: EndpointConfig[], extra: Partial<ListenerConfig> = {}): Promise<number> => {
    await plane.apply({
      listeners: [{ name: 'tcp', address: '127.0.0.1', port: 0, protocol: 'tcp', ...extra, endpoints }],
    });
    return plane.bound('tcp')?.port as number;
  };

  before(async () => {
    echoes = await Promise.all(['t0', 't1', 't2'].map(tcpEcho));
    plane = await NodeDataPlane.start({ threads: 2, drainMs: 1000 });
  });
  after(async () => {
    await plane.close();
    for (const e of echoes) {
      for (const s of e.sockets) s.destroy();
      await new Promise<void>((r) => e.server.close(() => r()));
    }
  });

  it('balances connections round robin and pipes both ways', async () => {
    const port = await apply([ep(0), ep(1), ep(2)]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const { id, socket } = await whoAnswers(port);
      counts.set(id, (counts.get(id) ?? 0) + 1);
      socket.write('ping');
      await new Promise<void>((resolve) => socket.on('data', (d: string) => d.includes('ping') && resolve()));
      socket.destroy();
    }
    for (const id of ['t0', 't1', 't2']) assert.ok((counts.get(id) ?? 0) >= 7, JSON.stringify([...counts]));
  });

  it('keeps a client address on its endpoint with source persistence (ClientIP)', async () => {
    const port = await apply([ep(0), ep(1), ep(2)], { persistence: { type: 'source', timeoutMs: 60_000 } });
    const seen = new Set<string>();
    for (let c = 1; c <= 9; c++) {
      const localAddress = `127.32.0.${c}`;
      const first = await whoAnswers(port, localAddress);
      first.socket.destroy();
      seen.add(first.id);
      for (let i = 0; i < 4; i++) {
        const again = await whoAnswers(port, localAddress);
        again.socket.destroy();
        assert.equal(again.id, first.id, `client ${localAddress} moved`);
      }
    }
    assert.ok(seen.size >= 2, 'every client went to one endpoint');
  });

  it('moves a connect failure to another endpoint', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as { port: number }).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const port = await apply([{ id: 'dead', address: '127.0.0.1', port: deadPort }, ep(1)]);
    for (let i = 0; i < 6; i++) {
      const { id, socket } = await whoAnswers(port);
      socket.destroy();
      assert.equal(id, 't1');
    }
  });

  it('drains: a terminating endpoint keeps its open connection and gets no new one', async () => {
    const port = await apply([ep(0)]);
    const open = await whoAnswers(port);
    await apply([ep(0, { terminating: true, ready: false }), ep(2)]);
    for (let i = 0; i < 5; i++) {
      const next = await whoAnswers(port);
      next.socket.destroy();
      assert.equal(next.id, 't2');
    }
    open.socket.write('still-here');
    await new Promise<void>((resolve) =>
      open.socket.on('data', (d: string) => d.includes('still-here') && resolve()),
    );
    open.socket.destroy();
  });

  it('takes an endpoint out when its TCP health check fails', async () => {
    const port = await apply([ep(0), ep(1)], {
      healthCheck: { type: 'tcp', intervalMs: 100, timeoutMs: 300, rise: 1, fall: 1 },
    });
    const victim = echoes[1] as (typeof echoes)[number];
    await new Promise<void>((r) => victim.server.close(() => r()));
    for (const s of victim.sockets) s.destroy();
    await eventually('t1 taken out', async () => {
      const stats = await plane.stats();
      return stats[0]?.endpoints.find((e) => e.id === 't1')?.state === 'unhealthy';
    });
    for (let i = 0; i < 6; i++) {
      const { id, socket } = await whoAnswers(port);
      socket.destroy();
      assert.equal(id, 't0');
    }
    echoes[1] = await tcpEcho('t1');
  });

  it('relays UDP datagrams to an endpoint and the answers back', async () => {
    const echo = createSocket('udp4');
    echo.on('message', (msg, r) => echo.send(Buffer.concat([Buffer.from('u0:'), msg]), r.port, r.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
    try {
      await plane.apply({
        listeners: [
          {
            name: 'dns',
            address: '127.0.0.1',
            port: 0,
            protocol: 'udp',
            endpoints: [{ id: 'u0', address: '127.0.0.1', port: echo.address().port }],
          },
        ],
      });
      const port = plane.bound('dns')?.port as number;
      const client = createSocket('udp4');
      const answer = new Promise<string>((resolve) => client.once('message', (m) => resolve(m.toString())));
      client.send('query', port, '127.0.0.1');
      assert.equal(await answer, 'u0:query');
      client.close();
    } finally {
      echo.close();
    }
  });
});

describe('node data plane: listeners being set up', () => {
  it('answers connections that arrive while a new listener is being shared between threads', async () => {
    const { startUpstream } = await import('../testing/upstream.js');
    const { get, text } = await import('../testing/data-plane-subject.js');
    const { freePort } = await import('../../common/free-port.js');
    const up = await startUpstream({ id: 'early' });
    const plane = await NodeDataPlane.start({ threads: 2, drainMs: 500 });
    try {
      const port = await freePort();
      let applied = false;
      const applying = plane
        .apply({
          listeners: [
            {
              name: 'early',
              address: '127.0.0.1',
              port,
              protocol: 'http',
              endpoints: [{ id: 'early', address: '127.0.0.1', port: up.port }],
            },
          ],
        })
        .then(() => (applied = true));
      const answers: Array<Promise<string>> = [];
      while (!applied) {
        answers.push(get(port, '/').then(text, (err: NodeJS.ErrnoException) => err.code ?? 'error'));
        await new Promise((r) => setImmediate(r));
      }
      await applying;
      const seen = await Promise.all(answers);
      // Before the bind a connection is refused; after it, every one is answered.
      const firstAnswered = seen.findIndex((s) => s !== 'ECONNREFUSED');
      assert.ok(
        seen.slice(firstAnswered).every((s) => s === 'early\n'),
        JSON.stringify(seen.slice(firstAnswered)),
      );
    } finally {
      await plane.close();
      await up.close();
    }
  });
});
