/**
 * One client connection of the L7 proxy: llhttp parses its requests; each becomes an
 * HttpExchange, one at a time (pipelined requests wait, their bodies held up to 64 KiB), and
 * the connection stays open between requests while both sides want keep-alive. A request
 * must arrive whole within `requestTimeoutMs`; a connection idle for `idleTimeoutMs` closes.
 * Malformed requests get 400, oversized heads 431, and the connection closes.
 */
import type { Socket } from 'node:net';
import { HttpExchange, REPLAY_BODY_BYTES } from './http-exchange.js';
import type { HttpListener } from './http-listener.js';
import { headFacts, plainResponse, type HeadFacts } from './http-wire.js';
import { proxyUpgrade } from './websocket.js';
import {
  giveBackRequestParser,
  takeRequestParser,
  type ParsedHead,
  type WireHandlers,
  type WireParser,
} from './wire-parser.js';

/** A request head as the exchange gets it. */
export interface RequestHead {
  method: string;
  url: string;
  raw: string[];
  facts: HeadFacts;
  keepAlive: boolean;
  http10: boolean;
  clientAddress: string;
}

interface Waiting {
  head: RequestHead;
  chunks: Buffer[];
  bytes: number;
  ended: boolean;
}

/** See the file comment. */
export class ClientConnection {
  /** Only while a request is being read: idle connections give theirs back. */
  private parser: WireParser | undefined;
  private inMessage = false;
  private readonly handlers: WireHandlers;
  private current: HttpExchange | undefined;
  private readonly waiting: Waiting[] = [];
  private requestTimer: NodeJS.Timeout | undefined;
  private corked = false;
  private closing = false;
  private upgraded = false;
  private upgrade: RequestHead | undefined;

  constructor(
    readonly socket: Socket,
    private readonly owner: HttpListener,
  ) {
    const l = owner.config;
    this.handlers = {
      begin: () => (this.inMessage = true),
      head: (h) => this.onHead(h),
      body: (b) => this.onBody(b),
      complete: () => this.onComplete(),
    };
    socket.setTimeout(l.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      if (this.requestTimer !== undefined) clearTimeout(this.requestTimer);
      this.current?.clientClosed();
      this.current = undefined;
      this.waiting.length = 0;
      this.parser?.close();
      this.parser = undefined;
    });
  }

  /** No request in progress or waiting. */
  get idle(): boolean {
    return this.current === undefined && this.waiting.length === 0 && !this.upgraded;
  }

  /** Writes response bytes; false when the socket's buffer is full (see `drain`). */
  write(data: string | Buffer): boolean {
    if (this.socket.destroyed) return false;
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  /** Batches writes made while one upstream chunk is parsed into one system call. */
  batch(start: boolean): void {
    if (start && !this.corked) {
      this.corked = true;
      this.socket.cork();
    } else if (!start && this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
  }

  /** An answer of the proxy's own before any response byte; `close` ends the connection. */
  answer(status: number, body: string, close: boolean): void {
    this.write(plainResponse(status, body, close || this.closing));
    if (close) this.closing = true;
  }

  /** The exchange is over; the next request may go, or the connection closes. */
  done(exchange: HttpExchange, keepAlive: boolean): void {
    if (this.current !== exchange) return;
    this.current = undefined;
    if (!keepAlive || this.closing || this.owner.closing) {
      this.closing = true;
      this.socket.end();
      return;
    }
    const next = this.waiting.shift();
    if (next === undefined) {
      this.socket.resume();
      return;
    }
    const started = this.start(next.head);
    for (const c of next.chunks) started.body(c);
    if (next.ended) started.bodyEnd();
  }

  private onData(d: Buffer): void {
    if (this.requestTimer === undefined && this.current === undefined) this.armRequestTimer();
    const parser = (this.parser ??= takeRequestParser(this.owner.config.maxHeaderBytes, this.handlers));
    const r = parser.execute(d);
    if (r instanceof Error) {
      const status = r.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      if (this.current === undefined) this.answer(status, `${r.code ?? 'bad request'}\n`, true);
      this.closing = true;
      this.socket.end();
      return;
    }
    if (!this.inMessage && this.upgrade === undefined) {
      // Between messages: an idle keep-alive connection holds no parser.
      this.parser = undefined;
      giveBackRequestParser(parser);
    }
    const upgrade = this.upgrade;
    if (upgrade !== undefined) {
      // The bytes after the head belong to the tunnel.
      this.upgrade = undefined;
      this.socket.removeAllListeners('data');
      this.socket.pause();
      proxyUpgrade(this.owner, upgrade, this.socket, d.subarray(r));
    }
  }

  private armRequestTimer(): void {
    this.requestTimer = setTimeout(() => {
      this.requestTimer = undefined;
      if (this.current?.responded !== true) this.answer(408, 'request timeout\n', true);
      this.socket.end();
      this.socket.destroySoon();
    }, this.owner.config.requestTimeoutMs);
  }

  private onHead(h: ParsedHead): boolean {
    const head: RequestHead = {
      method: h.method,
      url: h.url,
      raw: h.raw,
      facts: headFacts(h.raw),
      keepAlive: h.keepAlive,
      http10: h.versionMajor === 1 && h.versionMinor === 0,
      clientAddress: this.socket.remoteAddress ?? '',
    };
    if (h.upgrade && this.current === undefined) {
      this.upgraded = true;
      this.upgrade = head;
      this.socket.setTimeout(0);
      if (this.requestTimer !== undefined) clearTimeout(this.requestTimer);
      this.requestTimer = undefined;
      return false;
    }
    if (this.current === undefined) this.start(head);
    else {
      this.waiting.push({ head, chunks: [], bytes: 0, ended: false });
      this.socket.pause();
    }
    return false;
  }

  private start(head: RequestHead): HttpExchange {
    const exchange = new HttpExchange(this.owner, this, head);
    this.current = exchange;
    exchange.start();
    return exchange;
  }

  private onBody(b: Buffer): void {
    const w = this.waiting[this.waiting.length - 1];
    if (w === undefined) return this.current?.body(b);
    w.chunks.push(Buffer.from(b));
    w.bytes += b.length;
    if (w.bytes > REPLAY_BODY_BYTES) {
      this.closing = true;
      this.socket.destroy();
    }
  }

  private onComplete(): void {
    this.inMessage = false;
    if (this.requestTimer !== undefined) clearTimeout(this.requestTimer);
    this.requestTimer = undefined;
    const w = this.waiting[this.waiting.length - 1];
    if (w !== undefined) w.ended = true;
    else this.current?.bodyEnd();
  }
}
