/**
 * Real upstream HTTP servers on loopback for the data-plane tests. Each answers with its id in
 * the body and an `x-endpoint` header, and serves:
 *   GET /hold/TOKEN    headers and a first chunk at once, the rest when `release(TOKEN)` is called
 *   GET /status/CODE   that status
 *   GET /echo-headers  the request headers as JSON
 *   GET /slow/MS       answers after MS milliseconds
 *   GET /healthz       200, or 503 once `switches.healthy` is false
 *   /reset             closes the connection without an answer
 * and answers 500 to everything but /healthz while `switches.failing` is true.
 *   an Upgrade request: 101, then echoes every byte back
 * `keepAliveTimeoutMs` sets how long it keeps an idle connection (node's default is 5 s).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Options of startUpstream. */
export interface UpstreamOptions {
  id: string;
  address?: string;
  port?: number;
  keepAliveTimeoutMs?: number;
  /** Do not announce the keep-alive timeout (a server that closes idle sockets silently). */
  hideKeepAliveHint?: boolean;
}

/** Switches of a running upstream that tests flip. */
export interface UpstreamSwitches {
  /** GET /healthz answers 200 while true, 503 otherwise. */
  healthy: boolean;
  /** Every other request answers 500 while true. */
  failing: boolean;
}

/** A running upstream. */
export interface Upstream {
  readonly id: string;
  readonly address: string;
  readonly port: number;
  /** Requests served since start (held ones count when they start); /healthz is not counted. */
  hits: number;
  /** Connections accepted since start. */
  connections: number;
  readonly switches: UpstreamSwitches;
  release(token: string): void;
  /** Closes the listener and every connection at once, like a killed process. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

/** Starts one upstream (see the file comment). */
export async function startUpstream(options: UpstreamOptions): Promise<Upstream> {
  const held = new Map<string, ServerResponse>();
  const sockets = new Set<Socket>();
  const id = options.id;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    res.setHeader('x-endpoint', id);
    // With its own Connection header node adds no "Keep-Alive: timeout=" hint.
    if (options.hideKeepAliveHint === true) res.setHeader('connection', 'keep-alive');
    req.resume();
    if (url === '/healthz') {
      res.writeHead(upstream.switches.healthy ? 200 : 503);
      res.end();
      return;
    }
    upstream.hits++;
    if (upstream.switches.failing) {
      res.writeHead(500);
      res.end(`${id} failing\n`);
      return;
    }
    if (url === '/reset') {
      res.socket?.destroy();
      return;
    }
    if (url.startsWith('/hold/')) {
      held.set(url.slice(6), res);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(`${id} held\n`);
      return;
    }
    if (url.startsWith('/status/')) {
      res.writeHead(Number(url.slice(8)) || 500);
      res.end(`${id}\n`);
      return;
    }
    if (url === '/echo-headers') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.headers));
      return;
    }
    if (url.startsWith('/slow/')) {
      setTimeout(() => res.end(`${id}\n`), Number(url.slice(6)) || 0);
      return;
    }
    req.once('end', () => res.end(`${id}\n`));
  };
  const server: Server = createServer({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 5000 }, handler);
  server.on('connection', (s: Socket) => {
    upstream.connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upstream.hits++;
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\nx-endpoint: ${id}\r\n\r\n`,
    );
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.address ?? '127.0.0.1', resolve);
  });
  const bound = server.address() as { address: string; port: number };
  const upstream: Upstream = {
    id,
    address: bound.address,
    port: bound.port,
    hits: 0,
    connections: 0,
    switches: { healthy: true, failing: false },
    release(token) {
      const res = held.get(token);
      held.delete(token);
      res?.end(`${id} done\n`);
    },
    async kill() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    async close() {
      for (const res of held.values()) res.end();
      held.clear();
      await upstream.kill();
    },
  };
  return upstream;
}
