/**
 * WebSocket (and any HTTP/1.1 Upgrade) through the L7 proxy: the upgrade request goes to an
 * endpoint on a fresh connection (with X-Forwarded-*; Connection and Upgrade kept), a connect
 * failure tries another endpoint, and once connected the two sockets are piped both ways; the
 * endpoint's 101 and everything after it pass through as bytes. The tunnel counts as in
 * flight on its endpoint until either side closes, so draining waits for it.
 */
import { connect, type Socket } from 'node:net';
import type { Endpoint } from '../proxy-config.js';
import type { RequestHead } from './client-connection.js';
import type { HttpListener } from './http-listener.js';
import { plainResponse } from './http-wire.js';

const FORWARDED = /^x-forwarded-(for|proto|host)$/i;

function upgradeHead(head: RequestHead, trustForwarded: boolean): string {
  let out = `${head.method} ${head.url} HTTP/1.1\r\n`;
  for (let i = 0; i < head.raw.length; i += 2) {
    if (trustForwarded || !FORWARDED.test(head.raw[i] as string))
      out += `${head.raw[i] as string}: ${head.raw[i + 1] as string}\r\n`;
  }
  if (trustForwarded) return out + '\r\n';
  const f = head.facts;
  out += `X-Forwarded-For: ${f.forwardedFor === undefined ? head.clientAddress : `${f.forwardedFor}, ${head.clientAddress}`}\r\n`;
  out += 'X-Forwarded-Proto: http\r\n';
  if (f.host !== undefined) out += `X-Forwarded-Host: ${f.host}\r\n`;
  return out + '\r\n';
}

/** Proxies one upgrade request (see the file comment); `rest` is what followed its head. */
export function proxyUpgrade(owner: HttpListener, head: RequestHead, client: Socket, rest: Buffer): void {
  const started = performance.now();
  const tried = new Set<string>();
  const info = { client: head.clientAddress, method: head.method, path: head.url, attempts: 0 };
  const reject = (status: number): void => {
    client.end(plainResponse(status, status === 503 ? 'no endpoint available\n' : 'upstream-error\n', true));
    owner.record(undefined, status, performance.now() - started, 0, 0, 'upgrade-failed', info);
  };
  client.on('error', () => client.destroy());
  const attempt = (): void => {
    const choice = owner.pool.choose({
      key: owner.hashKey(head),
      clientAddress: head.clientAddress,
      cookie: owner.persistenceCookieOf(head),
      exclude: tried,
    });
    if (choice.endpoint === undefined) return reject(503);
    const endpoint: Endpoint = choice.endpoint;
    info.attempts++;
    owner.counts.add(endpoint.id, 1);
    const upstream = connect({ host: endpoint.address, port: endpoint.port, noDelay: true });
    let connected = false;
    const timer = setTimeout(
      () => upstream.destroy(new Error('connect timeout')),
      owner.config.connectTimeoutMs,
    );
    upstream.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      upstream.write(upgradeHead(head, owner.config.trustForwarded), 'latin1');
      if (rest.length > 0) upstream.write(rest);
      client.setTimeout(owner.config.idleTimeoutMs, () => client.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
      client.resume();
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
      owner.record(
        endpoint.id,
        101,
        performance.now() - started,
        upstream.bytesWritten,
        upstream.bytesRead,
        undefined,
        info,
      );
    });
    client.once('close', () => upstream.destroy());
  };
  attempt();
}
