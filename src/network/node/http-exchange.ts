/**
 * One client request through the L7 proxy: choose an endpoint, send the request on a pooled
 * keep-alive socket, stream the response back, and on failure retry on another endpoint when
 * that is safe: a connect failure always (nothing reached the endpoint), any failure before
 * the response when the method is idempotent. A request that failed on a reused keep-alive
 * socket before any byte came back (the upstream closed it as we sent: the race behind
 * sporadic 502s) is retried once more on the same endpoint without counting against it.
 */
import { request, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Endpoint } from '../proxy-config.js';
import { recordRequest } from '../traffic-stats.js';
import { clientResponseHeaders, cookieValue, upstreamRequestHeaders } from './http-headers.js';
import type { HttpListener } from './http-listener.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
/** Request bodies up to this size are read first, so that they can be sent again. */
export const REPLAY_BODY_BYTES = 64 * 1024;
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ECONNTIMEOUT',
]);

/** An error of ours with a code, for timeouts. */
function codeError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** See the file comment. */
export class HttpExchange {
  private readonly started = performance.now();
  private readonly tried = new Set<string>();
  private attempts = 0;
  private raceRetried = false;
  /** The whole body when it was read first; undefined while streaming. */
  private body: Buffer[] | undefined;
  private bodyStreamed = false;
  private bytesIn = 0;
  private bytesOut = 0;
  private endpoint: Endpoint | undefined;
  private upstream: ClientRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private responded = false;
  private done = false;
  /** The last attempt's failure, answered when no endpoint is left to retry on. */
  private lastFailure: { status: number; reason: string } | undefined;

  constructor(
    private readonly owner: HttpListener,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {}

  start(): void {
    const { req, res } = this;
    const length = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const max = this.owner.config.maxBodyBytes;
    if (max > 0 && length !== undefined && Number(length) > max)
      return this.fail(413, 'body-too-large', true);
    res.once('close', () => {
      if (!this.done) this.abort('client-closed');
    });
    if (!chunked && (length === undefined || length === '0')) {
      this.body = [];
      this.dispatch();
    } else if (!chunked && Number(length) <= REPLAY_BODY_BYTES) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        chunks.push(c);
        this.bytesIn += c.length;
      });
      req.once('end', () => {
        this.body = chunks;
        this.dispatch();
      });
    } else {
      this.dispatch();
    }
  }

  /** Chooses an endpoint (or waits for a free one) and sends the request to it. */
  dispatch(): void {
    if (this.done) return;
    const { owner, req } = this;
    const choice = owner.pool.choose({
      key: owner.hashKey(req),
      clientAddress: req.socket.remoteAddress,
      cookie: owner.persistenceCookieOf(req),
      exclude: this.tried,
    });
    if (choice.endpoint === undefined) {
      if (choice.reason === 'full') return owner.enqueue(this);
      if (this.lastFailure !== undefined) return this.fail(this.lastFailure.status, this.lastFailure.reason);
      return this.fail(503, 'no-endpoint');
    }
    this.send(choice.endpoint);
  }

  private send(endpoint: Endpoint): void {
    const { owner, req } = this;
    this.attempts++;
    this.endpoint = endpoint;
    owner.counts.add(endpoint.id, 1);
    const upstream = request({
      host: endpoint.address,
      port: endpoint.port,
      method: req.method,
      path: req.url,
      headers: upstreamRequestHeaders(req.headers, req.socket.remoteAddress, 'http'),
      agent: owner.agentFor(endpoint),
      setHost: false,
    });
    this.upstream = upstream;
    upstream.once('socket', (socket: Socket) => {
      if (!socket.connecting) return this.sendBody(upstream);
      this.arm(owner.config.connectTimeoutMs, upstream, 'ECONNTIMEOUT', 'connect timeout');
      socket.once('connect', () => this.sendBody(upstream));
    });
    upstream.once('response', (res) => this.onResponse(upstream, res));
    upstream.on('error', (err) => this.onError(upstream, err));
  }

  private sendBody(upstream: ClientRequest): void {
    if (upstream !== this.upstream) return;
    this.arm(this.owner.config.requestTimeoutMs, upstream, 'ERESPONSETIMEOUT', 'response timeout');
    if (this.body !== undefined) {
      for (const c of this.body) upstream.write(c);
      upstream.end();
      return;
    }
    this.bodyStreamed = true;
    const max = this.owner.config.maxBodyBytes;
    this.req.on('data', (c: Buffer) => {
      this.bytesIn += c.length;
      if (max > 0 && this.bytesIn > max) this.fail(413, 'body-too-large', true);
    });
    this.req.pipe(upstream);
  }

  private arm(ms: number, upstream: ClientRequest, code: string, message: string): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => upstream.destroy(codeError(code, message)), ms);
  }

  private onResponse(upstream: ClientRequest, ures: IncomingMessage): void {
    if (upstream !== this.upstream || this.done) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const { owner, res } = this;
    const endpoint = this.endpoint as Endpoint;
    const status = ures.statusCode ?? 502;
    if (status >= 500 && owner.config.passiveHealth?.on5xx === true) owner.failure(endpoint.id);
    else owner.pool.success(endpoint.id);
    const headers = clientResponseHeaders(ures.headers);
    const p = owner.config.persistence;
    if (p?.type === 'cookie') {
      const value = owner.cookieFor(endpoint.id);
      if (cookieValue(this.req.headers.cookie, p.cookieName) !== value) {
        const cookie = `${p.cookieName}=${value}; Path=/; HttpOnly`;
        const prior = headers['set-cookie'];
        headers['set-cookie'] =
          prior === undefined ? cookie : [...(Array.isArray(prior) ? prior : [String(prior)]), cookie];
      }
    }
    this.responded = true;
    res.writeHead(status, headers);
    upstream.setTimeout(owner.config.idleTimeoutMs, () =>
      upstream.destroy(codeError('EIDLE', 'idle timeout')),
    );
    ures.on('data', (c: Buffer) => (this.bytesOut += c.length));
    ures.once('end', () => this.finish(status));
    ures.on('error', () => undefined);
    ures.once('close', () => {
      // Closed before its end: the upstream went away mid-body; the client cannot be told.
      if (!ures.complete && !this.done) this.brokenResponse(upstream, 'upstream-aborted');
    });
    ures.pipe(res);
  }

  private brokenResponse(upstream: ClientRequest, reason: string): void {
    if (upstream !== this.upstream) return;
    this.owner.failure((this.endpoint as Endpoint).id);
    this.release();
    this.res.destroy();
    this.close(0, reason);
  }

  private onError(upstream: ClientRequest, err: NodeJS.ErrnoException): void {
    if (upstream !== this.upstream || this.done) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.responded) return this.brokenResponse(upstream, err.code ?? 'upstream-error');
    const { owner } = this;
    const endpoint = this.endpoint as Endpoint;
    owner.counts.add(endpoint.id, -1);
    this.upstream = undefined;
    const code = err.code ?? '';
    const connectFailed = CONNECT_ERRORS.has(code);
    const replayable = this.body !== undefined || !this.bodyStreamed;
    const idempotent = IDEMPOTENT.has(this.req.method ?? '');
    if (upstream.reusedSocket && !connectFailed && idempotent && replayable && !this.raceRetried) {
      this.raceRetried = true;
      owner.countRetry(endpoint.id);
      owner.drained();
      return this.send(endpoint);
    }
    owner.failure(endpoint.id);
    owner.drained();
    this.tried.add(endpoint.id);
    const timeout = code === 'ECONNTIMEOUT' || code === 'ERESPONSETIMEOUT';
    this.lastFailure = { status: timeout ? 504 : 502, reason: code === '' ? 'upstream-error' : code };
    if (this.attempts <= owner.config.retries && replayable && (connectFailed || idempotent)) {
      owner.countRetry(endpoint.id);
      return this.dispatch();
    }
    this.fail(this.lastFailure.status, this.lastFailure.reason);
  }

  /** Ends the request with an error status of the proxy's own. */
  fail(status: number, reason: string, closeConnection = false): void {
    if (this.done) return;
    this.release();
    const { res } = this;
    if (!res.headersSent) {
      const body = `${status === 503 ? 'no endpoint available' : reason}\n`;
      res.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        ...(closeConnection ? { connection: 'close' } : {}),
      });
      res.end(body);
    } else {
      res.destroy();
    }
    this.close(status, reason);
  }

  /** Called by the waiting queue when the request waited too long for a free endpoint. */
  timedOutInQueue(): void {
    this.fail(503, 'queue-timeout');
  }

  /** The client went away: stop the upstream request. */
  private abort(reason: string): void {
    this.release();
    this.close(this.res.headersSent ? this.res.statusCode : 0, reason);
  }

  /** Lets go of the upstream request in flight, if any, and of its endpoint's count. */
  private release(): void {
    const upstream = this.upstream;
    if (upstream === undefined || this.endpoint === undefined) return;
    this.upstream = undefined;
    upstream.destroy();
    this.owner.counts.add(this.endpoint.id, -1);
    this.owner.drained();
  }

  private finish(status: number): void {
    if (this.done) return;
    const endpoint = this.endpoint as Endpoint;
    this.upstream = undefined;
    this.owner.counts.add(endpoint.id, -1);
    this.owner.drained();
    this.close(status, undefined);
  }

  private close(status: number, error: string | undefined): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const ms = performance.now() - this.started;
    const { owner, req } = this;
    const id = this.endpoint?.id;
    recordRequest(owner.counters.traffic, status, ms, this.bytesIn, this.bytesOut);
    if (id !== undefined) recordRequest(owner.counters.endpoint(id), status, ms, this.bytesIn, this.bytesOut);
    if (error !== undefined) {
      owner.counters.traffic.failures++;
      if (id !== undefined) owner.counters.endpoint(id).failures++;
    }
    owner.log?.add({
      time: new Date(Date.now() - ms).toISOString(),
      listener: owner.config.name,
      client: req.socket.remoteAddress ?? '-',
      method: req.method ?? '-',
      path: req.url ?? '-',
      status,
      endpoint: id ?? '-',
      attempts: this.attempts,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      durationMs: Math.round(ms * 1000) / 1000,
      ...(error === undefined ? {} : { error }),
    });
  }
}
