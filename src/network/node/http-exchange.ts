/**
 * One client request through the L7 proxy: choose an endpoint, send the request on a pooled
 * keep-alive connection, stream the response back, and on failure retry on another endpoint
 * when that is safe: a connect failure always (nothing reached the endpoint), any failure
 * before the response when the method is idempotent and the body can be sent again (none, or
 * read whole first: at most 64 KiB). A request that failed on a reused keep-alive connection
 * before any byte came back (the endpoint closed it as the request went out: the race behind
 * sporadic 502s) is sent once more on the same endpoint without counting against it.
 */
import type { Endpoint } from '../proxy-config.js';
import type { ClientConnection, RequestHead } from './client-connection.js';
import type { HttpListener } from './http-listener.js';
import { clientResponseHead, cookieValue, upstreamRequestHead, type ResponseFraming } from './http-wire.js';
import type { UpstreamConnection } from './upstream-pool.js';
import type { ParsedHead } from './wire-parser.js';

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

const codeError = (code: string, message: string): NodeJS.ErrnoException =>
  Object.assign(new Error(message), { code });

/** See the file comment. */
export class HttpExchange {
  private readonly started = performance.now();
  private readonly tried = new Set<string>();
  private attempts = 0;
  private raceRetried = false;
  /** Body bytes held for (re)sending; undefined once streaming began on a connection. */
  private held: Buffer[] | undefined = [];
  private bodyDone = false;
  /** Read the whole body before sending (small, known length). */
  private readFirst = false;
  private bytesIn = 0;
  private bytesOut = 0;
  private endpoint: Endpoint | undefined;
  private conn: UpstreamConnection | undefined;
  private connected = false;
  private timer: NodeJS.Timeout | undefined;
  private framing: ResponseFraming = 'none';
  private keepAlive: boolean;
  responded = false;
  private status = 0;
  private done = false;
  private lastFailure: { status: number; reason: string } | undefined;

  constructor(
    private readonly owner: HttpListener,
    private readonly client: ClientConnection,
    private readonly head: RequestHead,
  ) {
    this.keepAlive = head.keepAlive;
  }

  start(): void {
    const { facts } = this.head;
    const max = this.owner.config.maxBodyBytes;
    const length = facts.contentLength === undefined ? 0 : Number(facts.contentLength);
    if (max > 0 && length > max) return this.fail(413, 'body-too-large', true);
    const hasBody = facts.chunked || length > 0;
    if (!hasBody) this.bodyDone = true;
    // As node's own server does: the body is read here, so the client may send it now.
    else if (facts.expectContinue) this.client.write('HTTP/1.1 100 Continue\r\n\r\n');
    this.readFirst = hasBody && !facts.chunked && length <= REPLAY_BODY_BYTES;
    if (!this.readFirst) this.dispatch();
  }

  /** A piece of the request body. */
  body(chunk: Buffer): void {
    if (this.done) return;
    this.bytesIn += chunk.length;
    const max = this.owner.config.maxBodyBytes;
    if (max > 0 && this.bytesIn > max) return this.fail(413, 'body-too-large', true);
    if (this.held !== undefined) {
      this.held.push(chunk);
      if (!this.readFirst && this.bytesIn > REPLAY_BODY_BYTES) this.client.socket.pause();
    } else this.sendBody(chunk);
  }

  bodyEnd(): void {
    this.bodyDone = true;
    if (this.done) return;
    if (this.readFirst && this.conn === undefined) return this.dispatch();
    if (this.held === undefined && this.conn !== undefined) this.endBody();
  }

  /** Chooses an endpoint (or waits for a free one) and sends the request to it. */
  dispatch(): void {
    if (this.done) return;
    const { owner, head } = this;
    const choice = owner.pool.choose({
      key: owner.hashKey(head),
      clientAddress: head.clientAddress,
      cookie: owner.persistenceCookieOf(head),
      exclude: this.tried,
    });
    if (choice.endpoint === undefined) {
      if (choice.reason === 'full') return owner.enqueue(this);
      const f = this.lastFailure ?? { status: 503, reason: 'no-endpoint' };
      return this.fail(f.status, f.reason);
    }
    this.send(choice.endpoint);
  }

  private send(endpoint: Endpoint): void {
    const { owner, head } = this;
    this.attempts++;
    this.endpoint = endpoint;
    owner.counts.add(endpoint.id, 1);
    const conn = owner.upstreamFor(endpoint).acquire();
    this.conn = conn;
    this.connected = false;
    conn.attach({
      head: (h) => this.onHead(conn, h),
      body: (b) => this.onBody(conn, b),
      complete: () => this.onComplete(conn),
      failed: (err) => this.onFailed(conn, err),
      batch: (start) => this.client.batch(start),
    });
    const onConnected = (): void => {
      if (this.conn !== conn) return;
      this.connected = true;
      this.arm(owner.config.requestTimeoutMs, conn, 'ERESPONSETIMEOUT', 'response timeout');
      conn.socket.write(
        upstreamRequestHead(head.method, head.url, head.raw, head.facts, {
          address: head.clientAddress,
          trustForwarded: owner.config.trustForwarded,
        }),
        'latin1',
      );
      if (this.held !== undefined && (this.bodyDone || !this.readFirst)) {
        const chunks = this.held;
        // Kept for a resend only when the whole body is held.
        if (!this.bodyDone) this.held = undefined;
        for (const c of chunks) this.sendBody(c);
        this.client.socket.resume();
      }
      if (this.bodyDone) this.endBody();
    };
    if (!conn.socket.connecting) return onConnected();
    this.arm(owner.config.connectTimeoutMs, conn, 'ECONNTIMEOUT', 'connect timeout');
    conn.socket.once('connect', onConnected);
  }

  private sendBody(chunk: Buffer): void {
    const socket = this.conn?.socket;
    if (socket === undefined || !this.connected) return;
    const ok = this.head.facts.chunked
      ? socket.write(`${chunk.length.toString(16)}\r\n`) && socket.write(chunk) && socket.write('\r\n')
      : socket.write(chunk);
    if (!ok) {
      this.client.socket.pause();
      socket.once('drain', () => this.client.socket.resume());
    }
  }

  private endBody(): void {
    if (this.head.facts.chunked && this.connected) this.conn?.socket.write('0\r\n\r\n');
  }

  private arm(ms: number, conn: UpstreamConnection, code: string, message: string): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onFailed(conn, codeError(code, message)), ms);
  }

  private onHead(conn: UpstreamConnection, h: ParsedHead): boolean {
    if (conn !== this.conn || this.done) return false;
    if (h.status >= 100 && h.status < 200 && h.status !== 101) {
      this.client.write(`HTTP/1.1 ${h.status} ${h.reason}\r\n\r\n`);
      return false;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const { owner, head } = this;
    const endpoint = this.endpoint as Endpoint;
    if (h.status >= 500 && owner.config.passiveHealth?.on5xx === true) owner.failure(endpoint.id);
    else owner.pool.success(endpoint.id);
    let setCookie: string | undefined;
    const p = owner.config.persistence;
    if (p?.type === 'cookie') {
      const value = owner.cookieFor(endpoint.id);
      if (cookieValue(head.facts.cookie, p.cookieName) !== value)
        setCookie = `${p.cookieName}=${value}; Path=/; HttpOnly`;
    }
    const bodyless = head.method === 'HEAD' || h.status === 204 || h.status === 304;
    const out = clientResponseHead(h.status, h.reason, h.raw, {
      bodyless,
      keepAlive: this.keepAlive && !owner.closing,
      http10: head.http10,
      setCookie,
    });
    this.framing = out.framing;
    if (out.framing === 'close') this.keepAlive = false;
    this.responded = true;
    this.status = h.status;
    this.client.write(out.head);
    conn.socket.setTimeout(owner.config.idleTimeoutMs);
    return bodyless;
  }

  private onBody(conn: UpstreamConnection, b: Buffer): void {
    if (conn !== this.conn || this.done) return;
    this.bytesOut += b.length;
    const ok =
      this.framing === 'chunked'
        ? this.client.write(`${b.length.toString(16)}\r\n`) &&
          this.client.write(b) &&
          this.client.write('\r\n')
        : this.client.write(b);
    if (!ok) {
      conn.socket.pause();
      this.client.socket.once('drain', () => conn.socket.resume());
    }
  }

  private onComplete(conn: UpstreamConnection): void {
    if (conn !== this.conn || this.done || !this.responded) return;
    if (this.framing === 'chunked') this.client.write('0\r\n\r\n');
    this.release(true);
    this.close(this.status, undefined);
    this.client.done(this, this.keepAlive && this.bodyDone);
  }

  private onFailed(conn: UpstreamConnection, err: NodeJS.ErrnoException): void {
    if (conn !== this.conn || this.done) return;
    const { owner } = this;
    const endpoint = this.endpoint as Endpoint;
    const answered = conn.answered;
    const reused = conn.reused;
    this.release(false);
    if (this.responded) {
      // The response was under way: nothing can be sent instead of it.
      owner.failure(endpoint.id);
      this.client.socket.destroy();
      return this.close(0, err.code ?? 'upstream-error');
    }
    const code = err.code ?? '';
    const connectFailed = CONNECT_ERRORS.has(code) || !this.connected;
    const replayable = this.held !== undefined && (this.bodyDone || !this.connected);
    const idempotent = IDEMPOTENT.has(this.head.method);
    if (reused && !answered && !connectFailed && idempotent && replayable && !this.raceRetried) {
      this.raceRetried = true;
      owner.countRetry(endpoint.id);
      return this.send(endpoint);
    }
    owner.failure(endpoint.id);
    this.tried.add(endpoint.id);
    const timeout = code === 'ECONNTIMEOUT' || code === 'ERESPONSETIMEOUT';
    this.lastFailure = { status: timeout ? 504 : 502, reason: code === '' ? 'upstream-error' : code };
    if (this.attempts <= owner.config.retries && replayable && (connectFailed || idempotent)) {
      owner.countRetry(endpoint.id);
      return this.dispatch();
    }
    this.fail(this.lastFailure.status, this.lastFailure.reason);
  }

  /** Ends the request with an answer of the proxy's own. */
  fail(status: number, reason: string, closeConnection = false): void {
    if (this.done) return;
    this.release(false);
    const close = closeConnection || !this.bodyDone || !this.keepAlive;
    if (!this.responded)
      this.client.answer(status, status === 503 ? 'no endpoint available\n' : `${reason}\n`, close);
    else this.client.socket.destroy();
    this.close(status, reason);
    this.client.done(this, !close);
  }

  /** The request waited too long for an endpoint under its connection limit. */
  timedOutInQueue(): void {
    this.fail(503, 'queue-timeout');
  }

  /** The client went away. */
  clientClosed(): void {
    this.release(false);
    this.close(this.responded ? this.status : 0, 'client-closed');
  }

  /** Lets go of the upstream connection (back to the pool when it finished cleanly). */
  private release(reuse: boolean): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const conn = this.conn;
    if (conn === undefined || this.endpoint === undefined) return;
    this.conn = undefined;
    conn.release(reuse && this.bodyDone);
    this.owner.counts.add(this.endpoint.id, -1);
    this.owner.drained();
  }

  private close(status: number, error: string | undefined): void {
    if (this.done) return;
    this.done = true;
    const ms = performance.now() - this.started;
    this.owner.record(this.endpoint?.id, status, ms, this.bytesIn, this.bytesOut, error, {
      client: this.head.clientAddress,
      method: this.head.method,
      path: this.head.url,
      attempts: this.attempts,
    });
  }
}
