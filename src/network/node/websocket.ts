/**
 * WebSocket (and any HTTP/1.1 Upgrade) through the L7 proxy: the upgrade request goes to an
 * endpoint on a fresh connection (with X-Forwarded-*), a connect failure tries another
 * endpoint, and once connected the two sockets are piped both ways; the upstream's 101 and
 * everything after it pass through as bytes. The connection counts as in flight on its
 * endpoint until either side closes, so draining waits for it.
 */
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Endpoint } from '../proxy-config.js';
import { recordRequest } from '../traffic-stats.js';
import { upgradeRequestHead } from './http-headers.js';
import type { HttpListener } from './http-listener.js';

/** Proxies one upgrade request (see the file comment). */
export function proxyUpgrade(owner: HttpListener, req: IncomingMessage, client: Socket, head: Buffer): void {
  const started = performance.now();
  const tried = new Set<string>();
  const forwarded = {
    'x-forwarded-for': [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', '),
    'x-forwarded-proto': 'http',
    ...(req.headers.host === undefined ? {} : { 'x-forwarded-host': req.headers.host }),
  };
  const reject = (status: number): void => {
    client.end(
      `HTTP/1.1 ${status} ${status === 503 ? 'Service Unavailable' : 'Bad Gateway'}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
    );
    recordRequest(owner.counters.traffic, status, performance.now() - started, 0, 0);
  };
  client.on('error', () => client.destroy());
  const attempt = (): void => {
    const choice = owner.pool.choose({
      key: owner.hashKey(req),
      clientAddress: req.socket.remoteAddress,
      cookie: owner.persistenceCookieOf(req),
      exclude: tried,
    });
    if (choice.endpoint === undefined) return reject(503);
    const endpoint: Endpoint = choice.endpoint;
    owner.counts.add(endpoint.id, 1);
    const upstream = connect({ host: endpoint.address, port: endpoint.port });
    let connected = false;
    const timer = setTimeout(
      () => upstream.destroy(new Error('connect timeout')),
      owner.config.connectTimeoutMs,
    );
    upstream.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      upstream.setNoDelay(true);
      upstream.write(upgradeRequestHead(req.method ?? 'GET', req.url ?? '/', req.headers, forwarded));
      if (head.length > 0) upstream.write(head);
      client.setTimeout(owner.config.idleTimeoutMs, () => client.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', () => {
      clearTimeout(timer);
      if (connected) return;
      owner.counts.add(endpoint.id, -1);
      owner.failure(endpoint.id);
      tried.add(endpoint.id);
      if (tried.size <= owner.config.retries && !client.destroyed) return attempt();
      reject(502);
    });
    upstream.once('close', () => {
      if (!connected) return;
      client.destroy();
      owner.counts.add(endpoint.id, -1);
      owner.drained();
      const t = owner.counters.endpoint(endpoint.id);
      const ms = performance.now() - started;
      recordRequest(owner.counters.traffic, 101, ms, upstream.bytesWritten, upstream.bytesRead);
      recordRequest(t, 101, ms, upstream.bytesWritten, upstream.bytesRead);
    });
    client.once('close', () => upstream.destroy());
  };
  attempt();
}
