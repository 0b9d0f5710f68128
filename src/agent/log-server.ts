import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { queryBool } from '../common/query-bool.js';
import type { Duplex } from 'node:stream';
import type { LogOptions, Runtime } from '../runtime/index.js';
import type { ResourceSummary } from '../telemetry/index.js';
import { agentBadLogPath, agentContainerNotFound, agentUnauthorized, type AgentError } from './errors.js';
import { ExecServer, SessionGate, rawAnswer, type StreamLimits } from './exec-server.js';
import { PortForwardServer, type PortResolver } from './port-forward-server.js';

/** Finds the runtime container id of `container` in pod `namespace/name` on this node. */
export type ContainerLookup = (namespace: string, pod: string, container: string) => string | undefined;

function sameSecret(header: string | undefined, secret: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(secret);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Reads `follow`, `tailLines`, `sinceSeconds`, `sinceTime`, `timestamps`, `previous`, `limitBytes`. */
export function parseLogQuery(q: URLSearchParams): LogOptions {
  const out: LogOptions = {};
  const int = (k: string): number | undefined => {
    const v = q.get(k);
    return v === null || v === '' || !/^\d+$/.test(v) ? undefined : Number(v);
  };
  if (queryBool(q, 'follow')) out.follow = true;
  if (queryBool(q, 'timestamps')) out.timestamps = true;
  if (queryBool(q, 'previous')) out.previous = true;
  const tail = int('tailLines');
  if (tail !== undefined) out.tailLines = tail;
  const since = int('sinceSeconds');
  if (since !== undefined) out.sinceSeconds = since;
  const limit = int('limitBytes');
  if (limit !== undefined) out.limitBytes = limit;
  const sinceTime = q.get('sinceTime');
  if (sinceTime !== null && sinceTime !== '') out.sinceTime = sinceTime;
  return out;
}

/** Splits a request target into its decoded path segments and query, or says what is wrong. */
function parseLogPath(target: string): { query: URLSearchParams; parts: string[] } | { error: AgentError } {
  if (!target.startsWith('/'))
    return { error: agentBadLogPath(target, 'not a path (it must start with "/")') };
  const q = target.indexOf('?');
  const parts: string[] = [];
  for (const p of (q < 0 ? target : target.slice(0, q)).split('/')) {
    if (p === '') continue;
    try {
      parts.push(decodeURIComponent(p));
    } catch {
      return { error: agentBadLogPath(target, `"${p}" is not valid percent-encoded UTF-8`) };
    }
  }
  return { query: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)), parts };
}

/** The node's service proxy counters (`GET /serviceProxy/stats`), when it runs one. */
export type ProxyStatsSource = (service: string) => Promise<unknown> | undefined;

/** What the endpoint serves beside logs; each is a 404 when absent. */
export interface AgentSources {
  /** The service proxy's counters. */
  proxyStats?: ProxyStatsSource;
  /** The resource usage summary (`GET /stats/resource`, the metrics API's source). */
  resourceStats?: () => ResourceSummary;
  /** The agent's Prometheus metrics (`GET /metrics`, text format). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Where `port-forward` connects for a pod's port. */
  portTarget?: PortResolver;
  /** Limits of exec, attach and port-forward sessions. */
  streamLimits?: StreamLimits;
  /**
   * Serve HTTPS with this key and certificate (PEM) instead of plain HTTP: on an address other
   * hosts reach, so the node's secret and the streams never cross the network in the clear.
   */
  tls?: { key: string; cert: string };
}

/**
 * The agent's HTTP endpoint for container logs, as kubelet's `/containerLogs/{ns}/{pod}/{container}`,
 * for its service proxy's counters (`/serviceProxy/stats`, JSON) and for the resource usage of the
 * node and its pods (`/stats/resource`, JSON: the metrics API's source) and for its Prometheus
 * metrics (`/metrics`): only the API server calls
 * it, with the node's secret as a bearer token. A follow stream ends when the caller goes away.
 */
export class LogServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly gate: SessionGate;
  private readonly execServer: ExecServer;
  private readonly portForward: PortForwardServer;

  constructor(
    private readonly runtime: Runtime,
    private readonly secret: string,
    private readonly lookup: ContainerLookup,
    private readonly sources: AgentSources = {},
  ) {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      // Nothing a request holds may end the process (the agent shares it with the whole cloud).
      this.handle(req, res).catch((err: unknown) => {
        try {
          this.fail(res, { status: 500, message: `log request failed: ${(err as Error).message}` });
        } catch {
          res.destroy();
        }
      });
    };
    this.server = sources.tls === undefined ? createServer(handler) : createTlsServer(sources.tls, handler);
    this.gate = new SessionGate(sources.streamLimits);
    this.execServer = new ExecServer(runtime, this.gate);
    this.portForward = new PortForwardServer(
      sources.portTarget ?? (() => Promise.resolve({ error: 'this node serves no port-forward' })),
      this.gate,
    );
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      try {
        this.upgrade(req, socket, head);
      } catch (err) {
        rawAnswer(socket, 500, `stream request failed: ${(err as Error).message}`);
      }
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Listens on `host:port` (port 0 picks one) and resolves with the port. */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  private fail(res: ServerResponse, err: AgentError | { status: number; message: string }): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(err.status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(err.message);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!sameSecret(req.headers.authorization, this.secret)) return this.fail(res, agentUnauthorized());
    const parsed = parseLogPath(req.url ?? '/');
    if ('error' in parsed) return this.fail(res, parsed.error);
    const { query, parts } = parsed;
    const [root, ns = '', pod = '', container = ''] = parts;
    if (req.method === 'GET' && root === 'serviceProxy' && ns === 'stats' && parts.length === 2) {
      const stats = await this.sources.proxyStats?.(query.get('service') ?? '');
      if (stats === undefined)
        return this.fail(res, { status: 404, message: 'this node runs no service proxy' });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(stats));
      return;
    }
    if (req.method === 'GET' && root === 'metrics' && parts.length === 1 && this.sources.metrics) {
      const { contentType, body } = await this.sources.metrics();
      res.writeHead(200, { 'content-type': contentType });
      res.end(body);
      return;
    }
    if (req.method === 'GET' && root === 'stats' && ns === 'resource' && parts.length === 2) {
      const summary = this.sources.resourceStats?.();
      if (summary === undefined)
        return this.fail(res, { status: 404, message: 'this node collects no resource usage' });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(summary));
      return;
    }
    if (req.method !== 'GET' || root !== 'containerLogs' || parts.length !== 4) {
      return this.fail(res, { status: 404, message: 'not found' });
    }
    const id = this.lookup(ns, pod, container);
    if (id === undefined) return this.fail(res, agentContainerNotFound(ns, pod, container));
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      const stream = await this.runtime.logs(id, {
        ...parseLogQuery(query),
        signal: abort.signal,
      });
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
      res.flushHeaders();
      stream.on('error', () => res.destroy());
      res.on('close', () => stream.destroy());
      stream.pipe(res);
    } catch (err) {
      const e = err as { status?: number; message: string };
      this.fail(res, { status: e.status ?? 500, message: e.message });
    }
  }

  /** Streaming sessions open now (exec, attach, port-forward); for tests and metrics. */
  get sessions(): number {
    return this.gate.count;
  }

  /**
   * `/exec/{ns}/{pod}/{container}?command=…` and `/attach/…` (WebSocket, channel protocol) and
   * `/portForward/{ns}/{pod}` (SPDY/3.1, alone or tunnelled in a WebSocket), as
   * kubelet serves them, reached through the API server, which has authorized the user.
   */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!sameSecret(req.headers.authorization, this.secret)) {
      const e = agentUnauthorized();
      return rawAnswer(socket, e.status, e.message);
    }
    const parsed = parseLogPath(req.url ?? '/');
    if ('error' in parsed) return rawAnswer(socket, parsed.error.status, parsed.error.message);
    const { query, parts } = parsed;
    const [root = '', ns = '', pod = '', container = ''] = parts;
    if ((root === 'exec' || root === 'attach') && parts.length === 4) {
      const id = this.lookup(ns, pod, container);
      if (id === undefined) {
        const e = agentContainerNotFound(ns, pod, container);
        return rawAnswer(socket, e.status, e.message);
      }
      return this.execServer.handle(req, socket, head, { kind: root, containerId: id, query });
    }
    if (root === 'portForward' && parts.length === 3)
      return this.portForward.handle(req, socket, head, { namespace: ns, name: pod });
    rawAnswer(socket, 404, 'not found');
  }

  async close(): Promise<void> {
    await this.execServer.close();
    await this.portForward.close();
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
