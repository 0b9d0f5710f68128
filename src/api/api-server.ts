import { ServerResponse, createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { systemClock, type Clock } from '../common/clock.js';
import {
  ConnectionGuard,
  isLoopbackAddress,
  loopbackUrlHost,
  openFileLimit,
  resolveLimits,
  sniffTls,
  urlHost,
  type ConnectionLimits,
} from '../connections/index.js';
import { queryBool } from '../common/query-bool.js';
import type { Admission, Authenticator, ServiceAccountTokens, UserInfo } from '../identity/index.js';
import type { ResourceRegistry, ResourceType } from '../resources/index.js';
import type { CachedStore } from '../store/index.js';
import { TypeIndex, type ApiDeps } from './api-context.js';
import { serviceAllocation, type ServiceNetworkOptions } from './allocation/index.js';
import { handleCreate, handleGet, handleList, handleUpdate } from './crud-handlers.js';
import { Deleter } from './deletion.js';
import { apiGroup, wantsAggregatedDiscovery } from './discovery.js';
import { deleteCollection, deleteOne } from './delete-handlers.js';
import { StaticDocuments } from './documents.js';
import { methodNotAllowed, pathNotFound } from './errors.js';
import { sendJson, sendText } from './http-io.js';
import { handlePatch } from './patch-handler.js';
import type { ResourceRequest } from './resource-request.js';
import { parseRoute, type ResourceRoute } from './routes.js';
import { handleScale } from './scale.js';
import { handleBinding } from './binding.js';
import { handlePodLog } from './pod-log.js';
import { handlePodStream, rememberUpgradeHead } from './pod-stream.js';
import { serviceProxyStatsExtension } from './service-proxy-stats.js';
import { METRICS_DISCOVERY, resourceMetricsExtension } from './resource-metrics.js';
import { handleConvertedVersion } from './converted-version.js';
import { USAGE_DISCOVERY, usageExtension } from './usage-api.js';
import { UsageMeter, type UsageMeterOptions } from './usage-meter.js';
import { metricsEndpoint, nodeMetricsEndpoint } from './metrics-endpoints.js';
import { observeRequest } from './request-metrics.js';
import { parseRequest, type ParsedRequest } from './request-attributes.js';
import type { Registry, ServerMetrics, UsageDb } from '../telemetry/index.js';
import { sweepAbandonedPods } from './pod-sweeper.js';
import { errorToStatus, type ErrorScope } from './status-errors.js';
import { handleWatch, type WatchRegistry, type WatchSettings } from './watch.js';
import { RequestAuth } from './request-auth.js';
import { handleReview, type ReviewAuthorizer } from './reviews.js';
import { handleNodeCredentialRequest } from './node-credentials.js';
import { handleTokenRequest } from './token-request.js';
import type { AuditTrace } from './audit-event.js';
import { auditWhenDone, type AuditSink } from './audit-log.js';
import type { RegistryHook } from './registry-hooks.js';

/** What the API server is built from. */
export interface ApiServerOptions {
  /** The store behind its watch cache: gets, lists and watches are served from the cache. */
  store: CachedStore;
  /** The resource types served: the resources part's registry (`createRegistry()`). */
  registry: Pick<ResourceRegistry, 'all'>;
  authenticator: Authenticator;
  /**
   * Decides every request (after authentication and impersonation) and answers the review
   * kinds (`kubectl auth can-i`, `--list`): the identity part's AuthorizerChain.
   */
  authorizer: ReviewAuthorizer;
  /** Checks writes before they are stored (RBAC escalation, token Secrets). Default: none. */
  admission?: Admission;
  /** Signs the TokenRequest API's ServiceAccount tokens; without it `serviceaccounts/token` is 404. */
  serviceAccountTokens?: ServiceAccountTokens;
  /** Default: the system clock. */
  clock?: Clock;
  /** Interval of the sweep for pods left terminating on vanished nodes; default 30 000 ms. */
  podSweepIntervalMs?: number;
  /** Interval of watch BOOKMARK events; default 60 000 ms. */
  bookmarkIntervalMs?: number;
  /**
   * A serving certificate and key (PEM). With it the port speaks TLS and plain HTTP both: the
   * first byte of each connection decides. kubectl sends bearer tokens only over TLS; fetch-based
   * clients on loopback may keep using plain HTTP.
   */
  tls?: { cert: string; key: string };
  /**
   * Endpoints other parts serve through this server (the object store's ring, status and
   * explain views): each answers its exact `prefix` path and the paths below it, after
   * authentication and authorization (as resource requests: `get` of `ring` in
   * `storage.stratus.dev`), before the resource routes. Errors it throws become `Status` replies.
   */
  extensions?: ApiExtension[];
  /** The ClusterIP and NodePort ranges of Services; default 127.77.0.0/16 and 30000-32767. */
  services?: ServiceNetworkOptions;
  /** From connecting to a node's agent until its answer's headers (`pods/log`); default 10 000 ms. */
  podLogTimeoutMs?: number;
  /**
   * Timeouts and caps of the port's connections; defaults `API_CONNECTION_LIMITS`, the caps from
   * the open-file limit (`resolveLimits`).
   */
  connections?: ConnectionLimits;
  /** Where every mutating and every refused request is recorded (`AuditLog`); default: nowhere. */
  audit?: AuditSink;
  /**
   * Prometheus metrics: requests are counted in `server`, `/metrics` serves `registry`, and
   * `/api/v1/nodes/NAME/proxy/metrics` a node agent's. Default: none of them.
   */
  /**
   * `/metrics` from `registry`; `/metrics/objects` from `objects`, the kube-state-metrics series,
   * which grow with the objects stored, so that scraping the server's own stays cheap.
   */
  metrics?: { registry: Registry; server: ServerMetrics; objects?: Registry };
  /**
   * Usage metering: a `UsageMeter` reads the agents' windows into `db` and
   * `/apis/usage.stratus.dev/v1/…usages` serves it (see `usage-api.ts`). Default: no metering.
   */
  usage?: { db: UsageDb } & UsageMeterOptions;
}

/**
 * The API port's connection limits: request headers (TLS handshake included) within 30 s, the
 * next request on a keep-alive connection within 65 s, a request body within 60 s (bodies are at
 * most 3 MiB). Watches, follow streams and other answers are never timed.
 */
export const API_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  requestTimeoutMs: 60_000,
};

/** An endpoint another part serves through the API server (see `ApiServerOptions.extensions`). */
export interface ApiExtension {
  prefix: string;
  /** Decides which paths it serves instead of the prefix (its path and those below it). */
  matches?(path: string): boolean;
  /**
   * Served before authentication: the extension checks its own credential (the server token of
   * `/v1-stratus/server-bootstrap`, as k3s' `/v1-k3s/server-bootstrap`). Default false.
   */
  unauthenticated?: boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/**
 * The Kubernetes-compatible API server on node:http: discovery, OpenAPI, CRUD with Kubernetes'
 * metadata semantics, patch (JSON, merge, strategic, server-side apply), status and scale
 * subresources, tables, watch, and bearer-token authentication. Every request is one store
 * operation or a few; discovery and OpenAPI documents are serialized once at construction.
 */
export class ApiServer {
  private readonly deps: ApiDeps;
  private readonly auth: RequestAuth;
  private readonly authorizer: ReviewAuthorizer;
  private readonly deleter: Deleter;
  private readonly server: Server;
  private readonly guard: ConnectionGuard;
  private readonly secure: boolean;
  private tlsServer: HttpsServer | undefined;
  private host: string | undefined;
  private readonly watches: WatchRegistry = new Set();
  private readonly watchSettings: WatchSettings;
  private readonly docs: StaticDocuments;
  private readonly inflight = new Set<Promise<void>>();
  private closing = false;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly extensions: ApiExtension[];
  private readonly serviceAccountTokens: ServiceAccountTokens | undefined;
  private readonly audit: AuditSink | undefined;
  private readonly services: ReturnType<typeof serviceAllocation>;
  private readonly metrics: ServerMetrics | undefined;
  /** The usage meter, when `usage` was given (elected servers turn its metering of pods on and off). */
  readonly meter: UsageMeter | undefined;

  constructor(options: ApiServerOptions) {
    this.serviceAccountTokens = options.serviceAccountTokens;
    this.audit = options.audit;
    const types = new TypeIndex(options.registry.all());
    this.services = serviceAllocation(options.store, options.services);
    this.deps = {
      store: options.store,
      clock: options.clock ?? systemClock,
      types,
      hooks: new Map<string, RegistryHook>([
        ['services', this.services.hook],
        ['nodes', this.services.nodes],
      ]),
      ...(options.podLogTimeoutMs !== undefined ? { podLogTimeoutMs: options.podLogTimeoutMs } : {}),
      ...(options.admission ? { admission: options.admission } : {}),
    };
    this.extensions = [
      ...(options.extensions ?? []),
      serviceProxyStatsExtension(this.deps),
      resourceMetricsExtension(this.deps),
      ...(options.usage === undefined ? [] : [usageExtension(this.deps, options.usage.db)]),
      ...(options.metrics === undefined
        ? []
        : [
            metricsEndpoint(options.metrics.registry),
            ...(options.metrics.objects
              ? [metricsEndpoint(options.metrics.objects, '/metrics/objects')]
              : []),
            nodeMetricsEndpoint(this.deps),
          ]),
    ];
    this.metrics = options.metrics?.server;
    if (options.usage !== undefined) {
      const { db, ...meterOptions } = options.usage;
      this.meter = new UsageMeter(this.deps, db, meterOptions);
    }
    this.authorizer = options.authorizer;
    this.auth = new RequestAuth(options.authenticator, options.authorizer);
    this.deleter = new Deleter(this.deps);
    this.watchSettings = { bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000 };
    this.docs = new StaticDocuments(types.all, [
      METRICS_DISCOVERY,
      ...(options.usage === undefined ? [] : [USAGE_DISCOVERY]),
    ]);
    this.sweepTimer = setInterval(
      () => void this.sweepPods().catch(() => undefined),
      options.podSweepIntervalMs ?? 30_000,
    );
    this.sweepTimer.unref();
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.track(req, res);
    const limits = resolveLimits(options.connections, API_CONNECTION_LIMITS, openFileLimit());
    const keepAliveTimeout = limits.keepAliveTimeoutMs;
    this.server = createServer({ keepAlive: true, keepAliveTimeout }, handler);
    this.server.keepAliveTimeout = keepAliveTimeout;
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    this.secure = options.tls !== undefined;
    // Plain HTTP carries bearer tokens in the clear: only loopback clients may speak it.
    const plainAllowed = (socket: Socket): boolean => isLoopbackAddress(socket.remoteAddress);
    if (options.tls === undefined) {
      this.guard = new ConnectionGuard({
        limits,
        servers: [this.server],
        dispatch: (socket) =>
          plainAllowed(socket) ? this.server.emit('connection', socket) : socket.destroy(),
      });
    } else {
      const tlsServer = createHttpsServer(
        { cert: options.tls.cert, key: options.tls.key, keepAlive: true },
        handler,
      );
      tlsServer.keepAliveTimeout = keepAliveTimeout;
      tlsServer.on('tlsClientError', () => undefined);
      tlsServer.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
        this.upgrade(req, socket, head),
      );
      this.tlsServer = tlsServer;
      this.guard = new ConnectionGuard({
        limits,
        servers: [this.server, tlsServer],
        dispatch: sniffTls({
          tls: tlsServer,
          plain: this.server,
          allowPlain: plainAllowed,
          refusal: 'plain HTTP is served to loopback clients only; use https:// and trust the cluster CA',
        }),
      });
    }
  }

  /**
   * Serves a new certificate and key from the next TLS handshake on (a renewed serving
   * certificate); connections already open keep theirs.
   */
  setTls(pair: { cert: string; key: string }): void {
    if (this.tlsServer === undefined) throw new RangeError('the API server was started without TLS');
    this.tlsServer.setSecureContext({ cert: pair.cert, key: pair.key });
  }

  /**
   * Starts listening; resolves with the base URL (`https://127.0.0.1:PORT`). The URL names the
   * host as given when it is a name, and loopback when it is the unspecified address (0.0.0.0,
   * ::), which clients cannot connect to by that name.
   */
  async listen(port = 6443, host = '127.0.0.1'): Promise<string> {
    await this.services.allocator.start();
    await this.services.nodes.start();
    await this.deleter.start();
    await this.guard.listen(port, host);
    this.host = host;
    return this.url;
  }

  /** What the port's connection guard did (refusals, timeouts); for metrics and tests. */
  get connectionStats(): ConnectionGuard['stats'] {
    return this.guard.stats;
  }

  /** The base URL the server listens at: https when it has a certificate. */
  get url(): string {
    return this.urlFor(this.secure ? 'https' : 'http');
  }

  /**
   * The plain-HTTP URL of the same port for clients on loopback (fetch-based ones, the server's
   * own components); undefined when the port listens on no loopback address.
   */
  get httpUrl(): string | undefined {
    const addr = this.guard.address();
    if (addr === undefined) throw new RangeError('the API server is not listening');
    const host = loopbackUrlHost(addr);
    return host === undefined ? undefined : `http://${host}:${addr.port}`;
  }

  private urlFor(scheme: string): string {
    const addr = this.guard.address();
    if (addr === undefined) throw new RangeError('the API server is not listening');
    return `${scheme}://${urlHost(addr, this.host)}:${addr.port}`;
  }

  /** Resolves when background deletions (dependents, namespaces) have finished; for tests. */
  idle(): Promise<void> {
    return this.deleter.gc.idle();
  }

  /** Removes pods left terminating on nodes that no longer exist (see `sweepAbandonedPods`). */
  sweepPods(): Promise<string[]> {
    return sweepAbandonedPods(this.deps, this.deleter.gc.deleting('pods'));
  }

  /** Ends watches, stops accepting connections, waits for requests in flight and background work. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.sweepTimer);
    await this.meter?.close();
    const closed = this.guard.stopAccepting();
    for (const end of [...this.watches]) end();
    await Promise.allSettled([...this.inflight]);
    this.guard.destroyAll();
    await closed;
    await this.deleter.close();
    await this.services.allocator.close();
    await this.services.nodes.close();
  }

  /**
   * An Upgrade request (`kubectl exec`, `attach`, `port-forward`): it goes through the same
   * authentication, authorization, audit and routing as any request, with a response written to
   * its socket; a handler that takes the connection over (`handlePodStream`) writes the 101 itself.
   * The connection guard stops timing it: the tunnel times its own silence at the agent.
   */
  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    this.guard.untime(socket);
    socket.on('error', () => socket.destroy());
    rememberUpgradeHead(req, head);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.on('finish', () => socket.end());
    this.track(req, res);
  }

  private track(req: IncomingMessage, res: ServerResponse): void {
    // The URL is read once: metrics, audit, authorization and routing share what it says.
    const request = parseRequest(req.method ?? 'GET', req.url ?? '/');
    if (this.metrics !== undefined) observeRequest(this.metrics, { req, res }, request);
    const p = this.handle(req, res, request);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, request: ParsedRequest): Promise<void> {
    let scope: ErrorScope | undefined;
    const trace: AuditTrace = {};
    try {
      const { path, query } = request;
      if (this.audit) auditWhenDone(this.audit, { req, res }, { ...request, trace }, this.deps.clock);
      const extensionFor = (e: ApiExtension): boolean =>
        e.matches !== undefined ? e.matches(path) : path === e.prefix || path.startsWith(`${e.prefix}/`);
      const open = this.extensions.find((e) => e.unauthenticated === true && extensionFor(e));
      if (open !== undefined) return await open.handle(req, res);
      const { user } = await this.auth.check(req, request, trace);
      const extension = this.extensions.find((e) => e.unauthenticated !== true && extensionFor(e));
      if (extension !== undefined) return await extension.handle(req, res);
      const route = parseRoute(path);
      const method = req.method ?? 'GET';
      if (route.kind === 'resource') {
        const resolved = this.resolve(route, path);
        scope = {
          group: resolved.group,
          plural: resolved.plural,
          ...(route.name !== undefined ? { name: route.name } : {}),
        };
        await this.handleResource(req, res, route, resolved, query, method, path, user, trace);
        return;
      }
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method, path);
      switch (route.kind) {
        case 'health':
          sendText(res, 200, 'ok');
          return;
        case 'version':
          this.docs.send(res, 'version');
          return;
        case 'root':
          this.docs.send(res, 'root');
          return;
        case 'core-versions':
          this.docs.send(res, wantsAggregatedDiscovery(req.headers.accept) ? 'aggregated-api' : 'api');
          return;
        case 'groups':
          this.docs.send(res, wantsAggregatedDiscovery(req.headers.accept) ? 'aggregated-apis' : 'apis');
          return;
        case 'group': {
          const g = apiGroup(this.deps.types.all, route.group);
          if (g === undefined) throw pathNotFound(path);
          sendJson(res, 200, g);
          return;
        }
        case 'group-version':
          if (!this.docs.send(res, `rl:${route.group}/${route.version}`)) throw pathNotFound(path);
          return;
        case 'openapi-v2':
          this.docs.sendSwagger(req, res);
          return;
        case 'openapi-v3':
          if (
            !this.docs.send(
              res,
              route.groupVersionPath === undefined ? 'openapi' : `openapi:${route.groupVersionPath}`,
            )
          ) {
            throw pathNotFound(path);
          }
          return;
        default:
          throw pathNotFound(path);
      }
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = errorToStatus(err, scope);
      trace.status = status;
      sendJson(res, status.code, status);
      if (status.code === 413 || status.code === 400) req.resume();
    }
  }

  private resolve(route: ResourceRoute, path: string): ResourceType {
    const type = this.deps.types.lookup(route.group, route.version, route.plural);
    if (type === undefined) throw pathNotFound(path);
    if (!type.namespaced && route.namespace !== undefined) throw pathNotFound(path);
    if (type.namespaced && route.name !== undefined && route.namespace === undefined)
      throw pathNotFound(path);
    if (route.subresource !== undefined && !(type.subresources as string[]).includes(route.subresource)) {
      throw pathNotFound(path);
    }
    return type;
  }

  private async handleResource(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    type: ResourceType,
    query: URLSearchParams,
    method: string,
    path: string,
    user: UserInfo,
    trace: AuditTrace,
  ): Promise<void> {
    const r: ResourceRequest = {
      user,
      trace,
      req,
      res,
      type,
      namespace: route.namespace ?? '',
      name: route.name,
      subresource: route.subresource,
      query,
      now: this.deps.clock.now(),
    };
    const watch = route.watchPath || queryBool(query, 'watch');
    if (!type.verbs.includes('get')) {
      if (method !== 'POST' || route.name !== undefined || route.subresource !== undefined)
        throw methodNotAllowed(method, path);
      if (type.kind === 'NodeCredentialRequest') return handleNodeCredentialRequest(this.deps, r);
      return handleReview(this.authorizer, r, user);
    }
    if (type.conversion !== undefined) return handleConvertedVersion(this.deps, r, method, path);
    if (route.subresource === 'scale') return handleScale(this.deps, r, method);
    if (route.subresource === 'binding' && method === 'POST') return handleBinding(this.deps, r);
    if (route.subresource === 'log' && type.kind === 'Pod' && method === 'GET')
      return handlePodLog(this.deps, r);
    if (
      type.kind === 'Pod' &&
      (route.subresource === 'exec' || route.subresource === 'attach' || route.subresource === 'portforward')
    ) {
      if (method !== 'GET' && method !== 'POST') throw methodNotAllowed(method, path);
      return handlePodStream(this.deps, r, route.subresource);
    }
    if (route.subresource === 'token' && type.kind === 'ServiceAccount') {
      if (method !== 'POST') throw methodNotAllowed(method, path);
      if (this.serviceAccountTokens === undefined) throw pathNotFound(path);
      return handleTokenRequest(this.deps, this.serviceAccountTokens, r);
    }
    if (route.subresource !== undefined && route.subresource !== 'status')
      throw methodNotAllowed(method, path);
    if (route.name === undefined) {
      if (method === 'GET')
        return watch ? handleWatch(this.deps, r, this.watchSettings, this.watches) : handleList(this.deps, r);
      if (method === 'POST') {
        if (type.namespaced && route.namespace === undefined) throw methodNotAllowed(method, path);
        return handleCreate(this.deps, r);
      }
      if (method === 'DELETE') return deleteCollection(this.deps, this.deleter, r);
      throw methodNotAllowed(method, path);
    }
    switch (method) {
      case 'GET':
        return watch && route.subresource === undefined
          ? handleWatch(this.deps, r, this.watchSettings, this.watches)
          : handleGet(this.deps, r);
      case 'PUT':
        return handleUpdate(this.deps, r);
      case 'PATCH':
        return handlePatch(this.deps, r);
      case 'DELETE':
        if (route.subresource !== undefined) throw methodNotAllowed(method, path);
        return deleteOne(this.deleter, r);
      default:
        throw methodNotAllowed(method, path);
    }
  }
}
