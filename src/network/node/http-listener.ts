/**
 * An HTTP listener in one thread of the node data plane. Connections come from the thread's
 * net.Server and are handed to an http.Server that never listens itself, so that a change of
 * header limits makes a new http.Server for new connections while old ones finish on the old.
 * Upstream sockets are kept alive per endpoint (node's Agent, LIFO) and retired after
 * `upstreamIdleMs` idle, or sooner when the upstream's Keep-Alive hint says so, before the
 * upstream's own keep-alive timeout can close them under a request.
 */
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AccessLog } from '../access-log.js';
import { persistenceCookie, type ActiveCounts, type EndpointPool } from '../endpoint-pool.js';
import type { Endpoint, Listener } from '../proxy-config.js';
import { cookieValue } from './http-headers.js';
import { HttpExchange } from './http-exchange.js';
import type { ListenerCounters } from './listener-counters.js';
import { proxyUpgrade } from './websocket.js';

/** What a listener uses from its thread. */
export interface ListenerContext {
  pool: EndpointPool;
  counts: ActiveCounts;
  counters: ListenerCounters;
  log: AccessLog | undefined;
  /** Tells the other threads that this one ejected an endpoint. */
  onEject(endpointId: string, untilMs: number): void;
}

/** How often requests waiting for a free endpoint look again (releases in other threads). */
const QUEUE_POLL_MS = 10;

/** See the file comment. */
export class HttpListener {
  private server: Server;
  private readonly agents = new Map<string, Agent>();
  private readonly queue: HttpExchange[] = [];
  private queueTimer: NodeJS.Timeout | undefined;
  private readonly cookies = new Map<string, string>();
  private closing = false;

  constructor(
    private listener: Listener,
    private readonly context: ListenerContext,
  ) {
    this.server = this.makeServer();
  }

  get config(): Listener {
    return this.listener;
  }
  get pool(): EndpointPool {
    return this.context.pool;
  }
  get counts(): ActiveCounts {
    return this.context.counts;
  }
  get counters(): ListenerCounters {
    return this.context.counters;
  }
  get log(): AccessLog | undefined {
    return this.context.log;
  }

  /** Takes a connection accepted by the thread's listening socket. */
  accept(socket: Socket): void {
    this.context.counters.track(socket);
    socket.setNoDelay(true);
    this.server.emit('connection', socket);
  }

  /** Applies a new version of the listener without dropping a connection. */
  update(listener: Listener): void {
    const old = this.listener;
    this.listener = listener;
    if (old.maxHeaderBytes !== listener.maxHeaderBytes) {
      const previous = this.server;
      this.server = this.makeServer();
      // Idle connections close now, busy ones keep the old limits until they end.
      previous.close();
    } else {
      this.applyTimeouts(this.server);
    }
    const ids = new Set(listener.endpoints.map((e) => e.id));
    for (const [id, agent] of this.agents) {
      const e = listener.endpoints.find((x) => x.id === id);
      if (e !== undefined && `${e.address}:${e.port}` === agentTarget(agent)) continue;
      this.agents.delete(id);
      // Idle sockets go now; those in use close when their response ends.
      agent.destroy();
    }
    for (const id of this.cookies.keys()) if (!ids.has(id)) this.cookies.delete(id);
    this.drained();
  }

  agentFor(endpoint: Endpoint): Agent {
    let agent = this.agents.get(endpoint.id);
    if (agent === undefined) {
      agent = new Agent({
        keepAlive: true,
        maxFreeSockets: 1024,
        scheduling: 'lifo',
        timeout: this.listener.upstreamIdleMs,
      });
      (agent as Agent & { target?: string }).target = `${endpoint.address}:${endpoint.port}`;
      this.agents.set(endpoint.id, agent);
    }
    return agent;
  }

  /** The hash key of a request, from the listener's hashOn. */
  hashKey(req: IncomingMessage): string | undefined {
    const h = this.listener.hashOn;
    if (h.source === 'address') return req.socket.remoteAddress;
    if (h.source === 'cookie') return cookieValue(req.headers.cookie, h.name ?? '');
    const v = req.headers[h.name ?? ''];
    return Array.isArray(v) ? v.join(',') : v;
  }

  persistenceCookieOf(req: IncomingMessage): string | undefined {
    const p = this.listener.persistence;
    return p?.type === 'cookie' ? cookieValue(req.headers.cookie, p.cookieName) : undefined;
  }

  cookieFor(endpointId: string): string {
    let v = this.cookies.get(endpointId);
    if (v === undefined) {
      v = persistenceCookie(this.listener.name, endpointId);
      this.cookies.set(endpointId, v);
    }
    return v;
  }

  /** Counts a failure; an ejection is told to the other threads. */
  failure(endpointId: string): void {
    const until = this.context.pool.failure(endpointId);
    if (until !== undefined) this.context.onEject(endpointId, until);
  }

  countRetry(endpointId: string): void {
    this.context.counters.traffic.retries++;
    this.context.counters.endpoint(endpointId).retries++;
  }

  /** Parks a request until an endpoint is under its connection limit (HAProxy's queue). */
  enqueue(exchange: HttpExchange): void {
    const deadline = performance.now() + this.listener.connectTimeoutMs;
    (exchange as HttpExchange & { deadline?: number }).deadline = deadline;
    this.queue.push(exchange);
    this.queueTimer ??= setInterval(() => this.drained(), QUEUE_POLL_MS);
  }

  /** Something was released: waiting requests try again, in order. */
  drained(): void {
    if (this.queue.length === 0) return;
    const waiting = this.queue.splice(0);
    const now = performance.now();
    for (const exchange of waiting) {
      if (((exchange as HttpExchange & { deadline?: number }).deadline ?? 0) < now)
        exchange.timedOutInQueue();
      else exchange.dispatch();
    }
    if (this.queue.length === 0 && this.queueTimer !== undefined) {
      clearInterval(this.queueTimer);
      this.queueTimer = undefined;
    }
  }

  /** Stops taking requests: idle connections close now, busy ones after their response. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const server = this.server;
    server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (this.context.counters.activeConnections > 0 && Date.now() < deadline) {
      server.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 20));
    }
    server.closeAllConnections();
    server.close();
    if (this.queueTimer !== undefined) clearInterval(this.queueTimer);
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private makeServer(): Server {
    const server = createServer(
      { maxHeaderSize: this.listener.maxHeaderBytes, keepAlive: true, noDelay: true },
      (req: IncomingMessage, res: ServerResponse) => {
        if (this.closing) res.shouldKeepAlive = false;
        new HttpExchange(this, req, res).start();
      },
    );
    this.applyTimeouts(server);
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      proxyUpgrade(this, req, socket, head),
    );
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable || (err as { bytesParsed?: number }).bytesParsed === 0) return socket.destroy();
      const status =
        err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
    });
    // An http.Server checks request and header timeouts only once it has "listened".
    server.emit('listening');
    return server;
  }

  private applyTimeouts(server: Server): void {
    const l = this.listener;
    server.requestTimeout = l.requestTimeoutMs;
    server.headersTimeout = Math.min(l.requestTimeoutMs, 60_000);
    server.keepAliveTimeout = l.idleTimeoutMs;
    server.timeout = l.idleTimeoutMs;
  }
}

function agentTarget(agent: Agent): string | undefined {
  return (agent as Agent & { target?: string }).target;
}
