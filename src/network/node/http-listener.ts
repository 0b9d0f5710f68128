/**
 * An HTTP listener in one thread of the node data plane: client connections (ClientConnection)
 * and their exchanges (HttpExchange), keep-alive connection pools per endpoint (UpstreamPool),
 * the queue of requests waiting for an endpoint under its connection limit, and the
 * listener's counters and access log.
 */
import type { Socket } from 'node:net';
import type { AccessLog } from '../access-log.js';
import { persistenceCookie, type ActiveCounts, type EndpointPool } from '../endpoint-pool.js';
import type { Endpoint, Listener } from '../proxy-config.js';
import { recordRequest } from '../traffic-stats.js';
import { ClientConnection, type RequestHead } from './client-connection.js';
import type { HttpExchange } from './http-exchange.js';
import { cookieValue, headerValue } from './http-wire.js';
import type { ListenerCounters } from './listener-counters.js';
import { UpstreamPool } from './upstream-pool.js';

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
  private readonly upstreams = new Map<string, UpstreamPool>();
  private readonly queue: Array<{ exchange: HttpExchange; deadline: number }> = [];
  private queueTimer: NodeJS.Timeout | undefined;
  private readonly cookies = new Map<string, string>();
  private readonly clients = new Set<ClientConnection>();
  closing = false;

  constructor(
    private listener: Listener,
    private readonly context: ListenerContext,
  ) {}

  get config(): Listener {
    return this.listener;
  }
  get pool(): EndpointPool {
    return this.context.pool;
  }
  get counts(): ActiveCounts {
    return this.context.counts;
  }

  /** Takes a connection accepted by the thread's listening socket. */
  accept(socket: Socket): void {
    this.context.counters.track(socket);
    socket.setNoDelay(true);
    const client = new ClientConnection(socket, this);
    this.clients.add(client);
    socket.once('close', () => this.clients.delete(client));
  }

  /** Applies a new version of the listener without dropping a connection. */
  update(listener: Listener): void {
    this.listener = listener;
    for (const [id, pool] of this.upstreams) {
      const e = listener.endpoints.find((x) => x.id === id);
      if (e !== undefined && e.address === pool.endpoint.address && e.port === pool.endpoint.port) continue;
      this.upstreams.delete(id);
      pool.close();
    }
    const ids = new Set(listener.endpoints.map((e) => e.id));
    for (const id of this.cookies.keys()) if (!ids.has(id)) this.cookies.delete(id);
    this.drained();
  }

  upstreamFor(endpoint: Endpoint): UpstreamPool {
    let pool = this.upstreams.get(endpoint.id);
    if (pool === undefined) {
      pool = new UpstreamPool(endpoint, {
        idleMs: this.listener.upstreamIdleMs,
        maxHeaderBytes: Math.max(this.listener.maxHeaderBytes, 65_536),
      });
      this.upstreams.set(endpoint.id, pool);
    }
    return pool;
  }

  /** The hash key of a request, from the listener's hashOn. */
  hashKey(head: RequestHead): string | undefined {
    const h = this.listener.hashOn;
    if (h.source === 'address') return head.clientAddress;
    if (h.source === 'cookie') return cookieValue(head.facts.cookie, h.name ?? '');
    return headerValue(head.raw, h.name ?? '');
  }

  persistenceCookieOf(head: RequestHead): string | undefined {
    const p = this.listener.persistence;
    return p?.type === 'cookie' ? cookieValue(head.facts.cookie, p.cookieName) : undefined;
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

  /** Counts a finished request and writes its access log line. */
  record(
    endpointId: string | undefined,
    status: number,
    ms: number,
    bytesIn: number,
    bytesOut: number,
    error: string | undefined,
    request: { client: string; method: string; path: string; attempts: number },
  ): void {
    const { counters, log } = this.context;
    recordRequest(counters.traffic, status, ms, bytesIn, bytesOut);
    const e = endpointId === undefined ? undefined : counters.endpoint(endpointId);
    if (e !== undefined) recordRequest(e, status, ms, bytesIn, bytesOut);
    if (error !== undefined) {
      counters.traffic.failures++;
      if (e !== undefined) e.failures++;
    }
    log?.add({
      time: new Date(Date.now() - ms).toISOString(),
      listener: this.listener.name,
      ...request,
      status,
      endpoint: endpointId ?? '-',
      bytesIn,
      bytesOut,
      durationMs: Math.round(ms * 1000) / 1000,
      ...(error === undefined ? {} : { error }),
    });
  }

  /** Parks a request until an endpoint is under its connection limit (HAProxy's queue). */
  enqueue(exchange: HttpExchange): void {
    this.queue.push({ exchange, deadline: performance.now() + this.listener.connectTimeoutMs });
    this.queueTimer ??= setInterval(() => this.drained(), QUEUE_POLL_MS);
  }

  /** Something was released: waiting requests try again, in order. */
  drained(): void {
    if (this.queue.length === 0) return;
    const waiting = this.queue.splice(0);
    const now = performance.now();
    for (const w of waiting) {
      if (w.deadline < now) w.exchange.timedOutInQueue();
      else w.exchange.dispatch();
    }
    if (this.queue.length === 0 && this.queueTimer !== undefined) {
      clearInterval(this.queueTimer);
      this.queueTimer = undefined;
    }
  }

  /** Stops: idle connections close now, busy ones after their response, all after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + graceMs;
    for (;;) {
      for (const c of this.clients) if (c.idle) c.socket.end();
      if (this.clients.size === 0 || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const c of this.clients) c.socket.destroy();
    if (this.queueTimer !== undefined) clearInterval(this.queueTimer);
    for (const pool of this.upstreams.values()) pool.close();
    this.upstreams.clear();
  }
}
