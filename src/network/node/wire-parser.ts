/**
 * llhttp, the HTTP/1.1 parser inside node:http, used directly (node's `_http_common` exports
 * it): the L7 proxy parses both sides itself instead of going through IncomingMessage,
 * ServerResponse and ClientRequest, which costs node about three times the CPU per proxied
 * request and twice the memory per connection (measured in BENCHMARKS.md). Parsing stays
 * node's own: the same limits, the same rejection of malformed messages.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type Callback = (...args: never[]) => unknown;

interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code?: string; bytesParsed?: number });
  finish(): number | Error | undefined;
  close(): void;
  [callback: number]: Callback;
}

interface ParserModule {
  HTTPParser: {
    new (): NativeParser;
    REQUEST: number;
    RESPONSE: number;
    kOnMessageBegin: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kLenientNone: number;
  };
  methods: string[];
}

const { HTTPParser, methods } = require('_http_common') as ParserModule;

/** A parsed request or response head. */
export interface ParsedHead {
  versionMajor: number;
  versionMinor: number;
  /** [name, value, …] as sent. */
  raw: string[];
  /** Requests only. */
  method: string;
  url: string;
  /** Responses only. */
  status: number;
  reason: string;
  upgrade: boolean;
  keepAlive: boolean;
}

/** What the parser calls; `head` returns true to tell it the message has no body (HEAD). */
export interface WireHandlers {
  /** A new message started (its first byte). */
  begin?: () => void;
  head: (head: ParsedHead) => boolean;
  body: (chunk: Buffer) => void;
  complete: () => void;
}

const NO_HANDLERS: WireHandlers = { head: () => false, body: () => undefined, complete: () => undefined };

/** One side's parser (see the file comment); `reset` readies it for another connection. */
export class WireParser {
  private readonly native = new HTTPParser();
  private handlers: WireHandlers = NO_HANDLERS;
  private rawSoFar: string[] = [];
  private urlSoFar = '';

  constructor(
    private readonly kind: 'request' | 'response',
    maxHeaderBytes: number,
    handlers: WireHandlers,
  ) {
    const p = this.native;
    p[HTTPParser.kOnMessageBegin] = () => this.handlers.begin?.();
    p[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      this.rawSoFar = this.rawSoFar.concat(headers);
      this.urlSoFar += url;
    };
    p[HTTPParser.kOnHeadersComplete] = (
      versionMajor: number,
      versionMinor: number,
      headers: string[] | undefined,
      method: number | undefined,
      url: string | undefined,
      status: number,
      reason: string | undefined,
      upgrade: boolean,
      keepAlive: boolean,
    ) => {
      const raw = headers ?? this.rawSoFar;
      const full = url ?? this.urlSoFar;
      this.rawSoFar = [];
      this.urlSoFar = '';
      const skipBody = this.handlers.head({
        versionMajor,
        versionMinor,
        raw,
        method: method === undefined ? '' : (methods[method] ?? ''),
        url: full,
        status,
        reason: reason ?? '',
        upgrade,
        keepAlive,
      });
      return skipBody ? 1 : 0;
    };
    p[HTTPParser.kOnBody] = (b: Buffer) => this.handlers.body(b);
    p[HTTPParser.kOnMessageComplete] = () => this.handlers.complete();
    this.reset(maxHeaderBytes, handlers);
  }

  /** Starts afresh for a new connection. */
  reset(maxHeaderBytes: number, handlers: WireHandlers): void {
    this.native.initialize(
      this.kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE,
      {},
      maxHeaderBytes,
      HTTPParser.kLenientNone,
    );
    this.handlers = handlers;
    this.rawSoFar = [];
    this.urlSoFar = '';
  }

  /** Parses bytes; an Error (with llhttp's `code`) when they are not HTTP. */
  execute(data: Buffer): number | (Error & { code?: string; bytesParsed?: number }) {
    return this.native.execute(data);
  }

  /** The peer closed: completes a message delimited by the close. */
  finish(): void {
    this.native.finish();
  }

  close(): void {
    this.handlers = NO_HANDLERS;
    this.native.close();
  }
}

/** Request parsers of idle keep-alive connections, kept for reuse (about 3 KiB each). */
const idleParsers: WireParser[] = [];
const IDLE_PARSERS = 256;

/** A request parser, reused when one is free. */
export function takeRequestParser(maxHeaderBytes: number, handlers: WireHandlers): WireParser {
  const p = idleParsers.pop();
  if (p === undefined) return new WireParser('request', maxHeaderBytes, handlers);
  p.reset(maxHeaderBytes, handlers);
  return p;
}

/** Gives back a request parser that sits between messages. */
export function giveBackRequestParser(p: WireParser): void {
  if (idleParsers.length < IDLE_PARSERS) {
    p.reset(0, NO_HANDLERS);
    idleParsers.push(p);
  } else p.close();
}
