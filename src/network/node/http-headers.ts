/**
 * Header work of the L7 proxy: hop-by-hop headers are dropped both ways (RFC 9110 §7.6.1,
 * including those the Connection header names), X-Forwarded-For/-Proto/-Host are added, and
 * cookies are read for persistence and hashing.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function copyEndToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connection = headers.connection;
  const named =
    connection === undefined
      ? undefined
      : connection
          .toLowerCase()
          .split(',')
          .map((s) => s.trim());
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || (named !== undefined && named.includes(name))) continue;
    out[name] = headers[name];
  }
  return out;
}

/** The headers sent upstream: end-to-end ones plus X-Forwarded-For (appended), -Proto and -Host. */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  clientAddress: string | undefined,
  proto: string,
): OutgoingHttpHeaders {
  const out = copyEndToEnd(headers);
  const prior = headers['x-forwarded-for'];
  const client = clientAddress ?? 'unknown';
  out['x-forwarded-for'] = prior === undefined ? client : `${String(prior)}, ${client}`;
  out['x-forwarded-proto'] = proto;
  if (headers.host !== undefined) out['x-forwarded-host'] = headers.host;
  return out;
}

/** The headers sent to the client: the upstream's end-to-end ones. */
export function clientResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return copyEndToEnd(headers);
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let at = 0;
  while (at < header.length) {
    const end = header.indexOf(';', at);
    const part = header.slice(at, end === -1 ? header.length : end);
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    if (end === -1) break;
    at = end + 1;
  }
  return undefined;
}

/** The request line and headers of an upgrade request, as bytes for the upstream socket. */
export function upgradeRequestHead(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  extra: OutgoingHttpHeaders,
): string {
  let head = `${method} ${url} HTTP/1.1\r\n`;
  const all: Record<string, unknown> = { ...headers, ...extra };
  for (const name in all) {
    const value = all[name];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value])
      head += `${name}: ${String(v).replace(/[\r\n]/g, '')}\r\n`;
  }
  return head + '\r\n';
}
