/**
 * One request from the Ingress front to a backend's data-plane listener on loopback: the
 * client's end-to-end headers plus X-Forwarded-For/-Proto/-Host/-Port and X-Real-IP set by the
 * front (never taken from the client, as ingress-nginx with `use-forwarded-headers: false`),
 * the answer streamed back. A request without a body that fails on a reused keep-alive socket
 * before any answer is sent once more (the socket may have been closed under it); any other
 * failure before the answer is 502, a silent endpoint 504.
 */
import { request, type Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
]);
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Where a request came in, for the forwarding headers. */
export interface Arrival {
  secure: boolean;
  /** The port the client connected to. */
  port: number;
}

function clientAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** The raw header list sent upstream (`keepUpgrade` keeps Connection/Upgrade for a tunnel). */
export function upstreamHeaders(req: IncomingMessage, at: Arrival, keepUpgrade = false): string[] {
  const named = (req.headers.connection ?? '')
    .toLowerCase()
    .split(',')
    .map((s) => s.trim());
  const out: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = (raw[i] as string).toLowerCase();
    const tunnel = keepUpgrade && (lower === 'connection' || lower === 'upgrade');
    if (!tunnel && (HOP_BY_HOP.has(lower) || named.includes(lower))) continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  const client = clientAddress(req);
  out.push('X-Forwarded-For', client, 'X-Real-IP', client);
  out.push('X-Forwarded-Proto', at.secure ? 'https' : 'http', 'X-Forwarded-Port', String(at.port));
  if (req.headers.host !== undefined) out.push('X-Forwarded-Host', req.headers.host);
  return out;
}

function responseHeaders(up: IncomingMessage): string[] {
  const out: string[] = [];
  const raw = up.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = (raw[i] as string).toLowerCase();
    if (lower === 'connection' || lower === 'keep-alive' || lower === 'transfer-encoding') continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

/** Plain-text answers of the front itself (404, 502, 503 …). */
export function answer(
  res: ServerResponse,
  status: number,
  text: string,
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

/** Sends `req` to the listener on 127.0.0.1:`port` through `agent` and streams the answer back. */
export function forward(
  agent: Agent,
  port: number,
  req: IncomingMessage,
  res: ServerResponse,
  at: Arrival,
): void {
  const bodiless =
    SAFE.has(req.method ?? '') &&
    req.headers['content-length'] === undefined &&
    req.headers['transfer-encoding'] === undefined;
  const attempt = (retry: boolean): void => {
    const up = request({
      agent,
      host: '127.0.0.1',
      port,
      method: req.method,
      path: req.url,
      headers: upstreamHeaders(req, at),
      timeout: 90_000,
    });
    let answered = false;
    up.on('response', (r) => {
      answered = true;
      res.writeHead(r.statusCode ?? 502, r.statusMessage, responseHeaders(r));
      r.pipe(res);
      r.on('error', () => res.destroy());
    });
    up.on('timeout', () => up.destroy(new Error('timeout')));
    up.on('error', (err) => {
      if (answered) return void res.destroy();
      if (retry && bodiless && up.reusedSocket && !res.destroyed) return attempt(false);
      answer(
        res,
        err.message === 'timeout' ? 504 : 502,
        err.message === 'timeout' ? 'gateway timeout\n' : 'bad gateway\n',
      );
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    if (bodiless) up.end();
    else req.pipe(up);
  };
  attempt(true);
}

/** Tunnels an Upgrade request (WebSocket) to 127.0.0.1:`port`: head, then bytes both ways. */
export function tunnel(port: number, req: IncomingMessage, client: Socket, head: Buffer, at: Arrival): void {
  const up = connect({ host: '127.0.0.1', port });
  const fail = (): void => {
    client.destroy();
    up.destroy();
  };
  up.on('error', () => {
    if (!client.destroyed)
      client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  client.on('error', fail);
  up.once('connect', () => {
    const h = upstreamHeaders(req, at, true);
    let text = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
    for (let i = 0; i < h.length; i += 2) text += `${h[i] as string}: ${h[i + 1] as string}\r\n`;
    up.write(text + '\r\n', 'latin1');
    if (head.length > 0) up.write(head);
    up.pipe(client);
    client.pipe(up);
    up.on('close', () => client.destroy());
    client.on('close', () => up.destroy());
  });
}
