/**
 * HTTP/1.1 heads as the L7 proxy writes them, from the raw header lists llhttp gives
 * (`[name, value, name, value, …]`, names as sent): hop-by-hop headers dropped both ways
 * (RFC 9110 §7.6.1, including those the Connection header names), X-Forwarded-For/-Proto/-Host
 * added upstream, the body framing (Content-Length or chunked) decided for each side. Strings
 * are latin1, as on the wire. Pure.
 */

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

/** The reason phrases the proxy's own answers use. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** What the proxy needs to know of a head's headers. */
export interface HeadFacts {
  /** Lowercased names listed in Connection (besides keep-alive/close). */
  connectionNames: string[] | undefined;
  contentLength: string | undefined;
  chunked: boolean;
  host: string | undefined;
  forwardedFor: string | undefined;
  cookie: string | undefined;
  /** The client waits for `100 Continue` before it sends the body. */
  expectContinue: boolean;
}

/** Reads the facts of a raw header list. */
export function headFacts(raw: readonly string[]): HeadFacts {
  const facts: HeadFacts = {
    connectionNames: undefined,
    contentLength: undefined,
    chunked: false,
    host: undefined,
    forwardedFor: undefined,
    cookie: undefined,
    expectContinue: false,
  };
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    switch (name) {
      case 'connection':
        facts.connectionNames = (facts.connectionNames ?? []).concat(
          value
            .toLowerCase()
            .split(',')
            .map((s) => s.trim()),
        );
        break;
      case 'content-length':
        facts.contentLength = value;
        break;
      case 'transfer-encoding':
        facts.chunked = facts.chunked || /chunked/i.test(value);
        break;
      case 'host':
        facts.host = value;
        break;
      case 'x-forwarded-for':
        facts.forwardedFor = facts.forwardedFor === undefined ? value : `${facts.forwardedFor}, ${value}`;
        break;
      case 'cookie':
        facts.cookie = facts.cookie === undefined ? value : `${facts.cookie}; ${value}`;
        break;
      case 'expect':
        facts.expectContinue = value.toLowerCase() === '100-continue';
        break;
    }
  }
  return facts;
}

/** The end-to-end header lines of a raw list, minus `skip` (lowercased names). */
function endToEnd(raw: readonly string[], facts: HeadFacts, skip?: ReadonlySet<string>): string {
  let out = '';
  const named = facts.connectionNames;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || skip?.has(lower) === true || (named !== undefined && named.includes(lower)))
      continue;
    out += `${name}: ${raw[i + 1] as string}\r\n`;
  }
  return out;
}

/** Replaced by the proxy's own (Expect: the proxy answers 100 Continue itself). */
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'expect']);
const EXPECT = new Set(['expect']);

/**
 * The head sent upstream: request line, end-to-end headers, X-Forwarded-* (the client's own,
 * unchanged, when `trustForwarded`), keep-alive, and `Transfer-Encoding: chunked` when the
 * client's body is chunked (it is sent re-chunked).
 */
export function upstreamRequestHead(
  method: string,
  url: string,
  raw: readonly string[],
  facts: HeadFacts,
  client: { address: string; trustForwarded: boolean },
): string {
  let head = `${method} ${url} HTTP/1.1\r\n${endToEnd(raw, facts, client.trustForwarded ? EXPECT : FORWARDED)}`;
  if (!client.trustForwarded) {
    const clientAddress = client.address;
    head += `X-Forwarded-For: ${facts.forwardedFor === undefined ? clientAddress : `${facts.forwardedFor}, ${clientAddress}`}\r\n`;
    head += 'X-Forwarded-Proto: http\r\n';
    if (facts.host !== undefined) head += `X-Forwarded-Host: ${facts.host}\r\n`;
  }
  if (facts.chunked) head += 'Transfer-Encoding: chunked\r\n';
  return head + 'Connection: keep-alive\r\n\r\n';
}

/** How the response body goes to the client. */
export type ResponseFraming = 'none' | 'length' | 'chunked' | 'close';

/**
 * The head sent to the client and how its body is framed: the upstream's length when it gave
 * one, chunked for an HTTP/1.1 client otherwise, or until close for HTTP/1.0.
 */
export function clientResponseHead(
  status: number,
  reason: string,
  raw: readonly string[],
  options: { bodyless: boolean; keepAlive: boolean; http10: boolean; setCookie?: string | undefined },
): { head: string; framing: ResponseFraming } {
  const facts = headFacts(raw);
  let framing: ResponseFraming;
  if (options.bodyless) framing = 'none';
  else if (facts.contentLength !== undefined && !facts.chunked) framing = 'length';
  else framing = options.http10 ? 'close' : 'chunked';
  let head = `HTTP/1.1 ${status} ${reason}\r\n${endToEnd(raw, facts)}`;
  if (options.setCookie !== undefined) head += `Set-Cookie: ${options.setCookie}\r\n`;
  if (framing === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
  head +=
    options.keepAlive && framing !== 'close' ? 'Connection: keep-alive\r\n\r\n' : 'Connection: close\r\n\r\n';
  return { head, framing };
}

/** A whole answer of the proxy's own (errors): short text body, optionally closing. */
export function plainResponse(status: number, body: string, close: boolean): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: ${close ? 'close' : 'keep-alive'}\r\n\r\n${body}`
  );
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

/** The value of header `name` (lowercase) in a raw list, values joined with ", ". */
export function headerValue(raw: readonly string[], name: string): string | undefined {
  let out: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === name)
      out = out === undefined ? raw[i + 1] : `${out}, ${raw[i + 1] as string}`;
  }
  return out;
}
