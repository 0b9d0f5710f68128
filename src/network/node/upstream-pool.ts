/**
 * Keep-alive connections to one endpoint. An idle connection is reused last-in-first-out and
 * retired after `idleMs` without use, or sooner when the endpoint's `Keep-Alive: timeout=N`
 * says so (one second before N, as node's Agent does), so that the proxy stops using a
 * connection before the endpoint may close it. One whose endpoint sent FIN or an error while
 * idle leaves the pool at once. The race that remains (the endpoint closes as a request goes
 * out) is the exchange's to retry: `reused` and `answered` tell it what happened.
 */
import { connect, type Socket } from 'node:net';
import type { Endpoint } from '../proxy-config.js';
import { WireParser, type ParsedHead } from './wire-parser.js';

/** What the exchange using a connection is told. */
export interface UpstreamHandlers {
  head(head: ParsedHead): boolean;
  body(chunk: Buffer): void;
  complete(): void;
  /** The connection failed or closed before the response was complete. */
  failed(err: NodeJS.ErrnoException): void;
  /** Around each piece of data parsed, so the client side can batch its writes. */
  batch(start: boolean): void;
}

/** Options of UpstreamPool. */
export interface UpstreamPoolOptions {
  idleMs: number;
  maxHeaderBytes: number;
}

const KEEP_ALIVE_HINT = /timeout=(\d+)/i;

/** One connection to the endpoint (see the file comment). */
export class UpstreamConnection {
  readonly socket: Socket;
  private readonly parser: WireParser;
  private handlers: UpstreamHandlers | undefined;
  /** Taken from the pool rather than opened for this request. */
  reused = false;
  /** A byte of the current response came back. */
  answered = false;
  /** The endpoint allows another request on this connection. */
  keepAlive = true;
  /** How long it may sit idle (the endpoint's hint or the pool's limit). */
  idleMs: number;
  private closed = false;

  constructor(
    endpoint: Endpoint,
    private readonly pool: UpstreamPool,
    options: UpstreamPoolOptions,
  ) {
    this.idleMs = options.idleMs;
    this.socket = connect({ host: endpoint.address, port: endpoint.port, noDelay: true });
    this.parser = new WireParser('response', options.maxHeaderBytes, {
      head: (h) => {
        this.keepAlive = h.keepAlive;
        const hint = keepAliveHint(h.raw);
        if (hint !== undefined) this.idleMs = Math.min(options.idleMs, hint);
        return this.handlers?.head(h) ?? false;
      },
      body: (b) => this.handlers?.body(b),
      complete: () => this.handlers?.complete(),
    });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.onClose(err));
    this.socket.on('close', () => this.onClose(undefined));
    this.socket.on('timeout', () => this.socket.destroy());
  }

  /** Binds the exchange that sends the next request. */
  attach(handlers: UpstreamHandlers): void {
    this.handlers = handlers;
    this.answered = false;
    this.socket.setTimeout(0);
  }

  /** Unbinds; the connection goes back to the pool when it may be reused. */
  release(reuse: boolean): void {
    this.handlers = undefined;
    if (reuse && this.keepAlive && !this.closed && this.idleMs > 0) this.pool.giveBack(this);
    else this.destroy();
  }

  destroy(): void {
    this.handlers = undefined;
    this.socket.destroy();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(d: Buffer): void {
    const h = this.handlers;
    if (h === undefined) {
      // Bytes on an idle connection: nothing can follow them safely.
      this.socket.destroy();
      return;
    }
    this.answered = true;
    h.batch(true);
    const r = this.parser.execute(d);
    h.batch(false);
    if (r instanceof Error) {
      this.handlers?.failed(Object.assign(r, { code: r.code ?? 'HPE_INVALID' }));
      this.destroy();
    }
  }

  private onClose(err: NodeJS.ErrnoException | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.forget(this);
    if (this.handlers !== undefined) {
      // A body delimited by the close ends here.
      if (err === undefined) this.parser.finish();
      const h = this.handlers;
      this.handlers = undefined;
      h?.failed(
        err ?? Object.assign(new Error('the endpoint closed the connection'), { code: 'ECONNRESET' }),
      );
    }
    this.parser.close();
  }
}

/** The keep-alive connections of one endpoint (see the file comment). */
export class UpstreamPool {
  private readonly idle: UpstreamConnection[] = [];
  private closing = false;

  constructor(
    readonly endpoint: Endpoint,
    private readonly options: UpstreamPoolOptions,
  ) {}

  /** An idle connection (reused) or a new one, still connecting. */
  acquire(): UpstreamConnection {
    for (;;) {
      const conn = this.idle.pop();
      if (conn === undefined) break;
      if (conn.isClosed) continue;
      conn.reused = true;
      return conn;
    }
    return new UpstreamConnection(this.endpoint, this, this.options);
  }

  /** Called by a connection whose exchange is done with it. */
  giveBack(conn: UpstreamConnection): void {
    if (this.closing) return conn.destroy();
    conn.socket.setTimeout(conn.idleMs);
    this.idle.push(conn);
  }

  forget(conn: UpstreamConnection): void {
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
  }

  /** Closes idle connections now; those in use close when their exchange is done. */
  close(): void {
    this.closing = true;
    for (const conn of this.idle.splice(0)) conn.destroy();
  }
}

function keepAliveHint(raw: readonly string[]): number | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() !== 'keep-alive') continue;
    const m = KEEP_ALIVE_HINT.exec(raw[i + 1] as string);
    if (m !== null) return Math.max(0, Number(m[1]) * 1000 - 1000);
  }
  return undefined;
}
