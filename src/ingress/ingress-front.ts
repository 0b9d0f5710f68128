/**
 * The ports users reach Ingresses on: plain HTTP and HTTPS (TLS terminated here, the
 * certificate chosen by SNI), each accepted by a ConnectionGuard (header, keep-alive and body
 * timeouts, connection caps). Each request is routed by the current route table: no match is
 * 404, a route that redirects answers plain HTTP with 308 to HTTPS, and the rest goes to the
 * backend's data-plane listener on loopback (`forward.ts`). `setState` swaps the table and the
 * backends' ports at once: requests in flight finish where they were sent, open connections
 * stay open.
 */
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { SecureContext } from 'node:tls';
import type { Socket } from 'node:net';
import {
  ConnectionGuard,
  openFileLimit,
  resolveLimits,
  type ConnectionLimits,
  type GuardStats,
} from '../connections/index.js';
import { answer, forward, tunnel, type Arrival } from './forward.js';
import { requestHost } from './host-match.js';
import { buildRouteTable, matchRoute, type RouteTable } from './route-table.js';
import type { SniCertificates } from './sni-certificates.js';

/**
 * The front's timeouts: nginx's `client_header_timeout` (60 s) and `keepalive_timeout` (75 s),
 * and 60 s for a request body (bodies are at most 1 MiB by default).
 */
export const INGRESS_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 60_000,
  keepAliveTimeoutMs: 75_000,
  requestTimeoutMs: 60_000,
};

/** What the front routes by: the merged rules and each backend's loopback port. */
export interface FrontState {
  table: RouteTable;
  upstreams: ReadonlyMap<string, number>;
}

/** Options of IngressFront.start. */
export interface IngressFrontOptions {
  /** The address both ports listen on. */
  address: string;
  /** 0 picks a free port. */
  httpPort: number;
  httpsPort: number;
  certificates: SniCertificates;
  /** Default INGRESS_CONNECTION_LIMITS. */
  limits?: ConnectionLimits;
  /** Largest request head; default 16 KiB (a larger one is 431). */
  maxHeaderBytes?: number;
}

type Port = { server: Server; guard: ConnectionGuard; arrival: Arrival };

/** See the file comment. */
export class IngressFront {
  private state: FrontState = { table: buildRouteTable([]), upstreams: new Map() };
  private readonly agent = new Agent({ keepAlive: true, maxFreeSockets: 64, timeout: 60_000 });
  private readonly plain: Port;
  private readonly secure: Port;
  private readonly sni = (name: string, done: (err: Error | null, ctx?: SecureContext) => void): void =>
    done(null, this.options.certificates.contextFor(name));

  private constructor(private readonly options: IngressFrontOptions) {
    const limits = resolveLimits(options.limits, INGRESS_CONNECTION_LIMITS, openFileLimit());
    const common = { keepAlive: true, maxHeaderSize: options.maxHeaderBytes ?? 16_384 };
    const http = createServer(common);
    const https = createHttpsServer({
      ...common,
      ...options.certificates.defaultPair,
      SNICallback: this.sni,
    });
    https.on('tlsClientError', () => undefined);
    const port = (server: Server, secure: boolean): Port => {
      server.keepAliveTimeout = limits.keepAliveTimeoutMs;
      const guard = new ConnectionGuard({
        limits,
        servers: [server],
        dispatch: (socket) => server.emit('connection', socket),
      });
      const p: Port = { server, guard, arrival: { secure, port: 0 } };
      server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(p, req, res));
      server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
        this.onUpgrade(p, req, socket, head),
      );
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
        const status =
          err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
        if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
        else socket.destroy();
      });
      return p;
    };
    this.plain = port(http, false);
    this.secure = port(https, true);
  }

  /** Listens on both ports; throws (closing what opened) when one cannot be bound. */
  static async start(options: IngressFrontOptions): Promise<IngressFront> {
    const front = new IngressFront(options);
    try {
      await front.plain.guard.listen(options.httpPort, options.address);
      await front.secure.guard.listen(options.httpsPort, options.address);
    } catch (err) {
      await front.close();
      throw err;
    }
    front.plain.arrival.port = front.httpPort;
    front.secure.arrival.port = front.httpsPort;
    return front;
  }

  /** The bound HTTP port. */
  get httpPort(): number {
    return this.plain.guard.address()?.port ?? 0;
  }

  /** The bound HTTPS port. */
  get httpsPort(): number {
    return this.secure.guard.address()?.port ?? 0;
  }

  /** What the two ports' guards did (refusals, timeouts). */
  get connectionStats(): { http: GuardStats; https: GuardStats } {
    return { http: this.plain.guard.stats, https: this.secure.guard.stats };
  }

  /** Serves a renewed default certificate from the next handshake on (SNI or not). */
  setDefaultCertificate(pair: { cert: string; key: string }): void {
    this.options.certificates.setDefault(pair);
    (this.secure.server as HttpsServer).setSecureContext(pair);
  }

  /** Routes new requests by `state` from now on. */
  setState(state: FrontState): void {
    this.state = state;
  }

  /** Stops both ports and closes their connections and the pooled upstream ones. */
  async close(): Promise<void> {
    await Promise.all([this.plain.guard.close(), this.secure.guard.close()]);
    this.agent.destroy();
  }

  /** The route of a request, or the answer when it has none: a 404 or a redirect. */
  private route(
    p: Port,
    req: IncomingMessage,
  ): { port: number } | { status: number; headers: Record<string, string> } {
    const host = requestHost(req.headers.host);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = matchRoute(this.state.table, host, q < 0 ? url : url.slice(0, q));
    if (route === undefined) return { status: 404, headers: {} };
    if (route.redirect && !p.arrival.secure && host !== undefined) {
      const port = this.httpsPort === 443 ? '' : `:${this.httpsPort}`;
      const name = host.includes(':') ? `[${host}]` : host;
      return { status: 308, headers: { location: `https://${name}${port}${url}` } };
    }
    const port = this.state.upstreams.get(route.backend.key);
    return port === undefined ? { status: 503, headers: {} } : { port };
  }

  private onRequest(p: Port, req: IncomingMessage, res: ServerResponse): void {
    const r = this.route(p, req);
    if ('port' in r) return forward(this.agent, r.port, req, res, p.arrival);
    const text =
      r.status === 404 ? 'default backend - 404\n' : r.status === 308 ? '' : 'service unavailable\n';
    answer(res, r.status, text, r.headers);
  }

  private onUpgrade(p: Port, req: IncomingMessage, socket: Socket, head: Buffer): void {
    const r = this.route(p, req);
    if (!('port' in r)) {
      const extra = Object.entries(r.headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.end(
        `HTTP/1.1 ${r.status} ${r.status === 308 ? 'Permanent Redirect' : 'Not Found'}\r\n${extra}content-length: 0\r\nconnection: close\r\n\r\n`,
      );
      return;
    }
    p.guard.untime(socket);
    tunnel(r.port, req, socket, head, p.arrival);
  }
}
