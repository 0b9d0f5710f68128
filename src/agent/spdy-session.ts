import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import {
  FLAG_FIN,
  FrameReader,
  GOAWAY,
  HEADERS,
  PING,
  RST_PROTOCOL_ERROR,
  RST_STREAM,
  SPDY_DICTIONARY,
  SYN_STREAM,
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  goAway,
  parseSynStream,
  rstStream,
  synReply,
  u32,
  type Frame,
} from './spdy-frames.js';

/**
 * Runs a chunk through a zlib stream and resolves with all it produced up to a sync flush: SPDY
 * keeps one compression context per direction for the whole connection (the one-shot `*Sync`
 * functions cannot), each header block ending with a sync flush.
 */
function through(z: Inflate | Deflate, chunk: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    z.once('error', reject);
    z.write(chunk);
    z.flush(constants.Z_SYNC_FLUSH, () => {
      z.off('error', reject);
      const parts: Buffer[] = [];
      for (let b = z.read() as Buffer | null; b !== null; b = z.read() as Buffer | null) parts.push(b);
      resolve(Buffer.concat(parts));
    });
  });
}

/** The bytes under a session: an upgraded socket or a WebSocket tunnel. */
export interface SpdyTransport {
  write(b: Uint8Array): void;
  close(): void;
  /** Bytes written but not yet sent. */
  buffered(): number;
}

/** Above this much unsent, writers pause; they resume below a quarter of it. */
const HIGH_WATER = 1024 * 1024;

/** One stream the client opened (SYN_STREAM), with its headers. */
export class SpdyStream extends EventEmitter<{ data: [Buffer]; end: []; reset: [] }> {
  /** The client sent FIN: no more data comes. */
  remoteClosed = false;
  /** This side sent FIN or RST. */
  localClosed = false;

  constructor(
    readonly id: number,
    readonly headers: ReadonlyMap<string, string>,
    private readonly session: SpdySession,
  ) {
    super();
  }

  /**
   * Sends data to the client (in frames of at most 32 KiB); false when the transport holds more
   * than it should, so that the source pauses until `session.whenDrained`.
   */
  write(data: Buffer): boolean {
    if (this.localClosed) return true;
    for (let at = 0; at < data.length; at += 32768)
      this.session.send(dataFrame(this.id, 0, data.subarray(at, at + 32768)));
    return !this.session.congested();
  }

  /** Half-closes the stream (an empty DATA frame with FIN). */
  end(): void {
    if (this.localClosed) return;
    this.localClosed = true;
    this.session.send(dataFrame(this.id, FLAG_FIN, new Uint8Array(0)));
    this.session.settle(this);
  }

  /** Aborts the stream (RST_STREAM). */
  reset(status = RST_PROTOCOL_ERROR): void {
    if (this.localClosed && this.remoteClosed) return;
    this.localClosed = this.remoteClosed = true;
    this.session.send(rstStream(this.id, status));
    this.session.settle(this);
  }
}

/**
 * The server side of a SPDY/3.1 session over any byte transport: it accepts the streams the
 * client opens (answering SYN_REPLY), delivers their data, answers PING, and ends on GOAWAY or on
 * a malformed frame (GOAWAY with PROTOCOL_ERROR, then `close`). Flow control is not enforced,
 * as kubectl's spdystream does not enforce it either.
 */
export class SpdySession extends EventEmitter<{ stream: [SpdyStream]; close: [string | undefined] }> {
  private readonly reader = new FrameReader();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inflate: Inflate;
  private readonly deflate: Deflate;
  /** Frames are handled one after another; header blocks wait for zlib. */
  private queue: Promise<void> = Promise.resolve();
  private lastStream = 0;
  private closed = false;

  constructor(private readonly transport: SpdyTransport) {
    super();
    const dictionary = Buffer.from(SPDY_DICTIONARY);
    this.inflate = createInflate({ dictionary });
    this.deflate = createDeflate({ dictionary });
    this.inflate.on('error', () => undefined);
    this.deflate.on('error', () => undefined);
  }

  /** Bytes from the client. */
  feed(bytes: Uint8Array): void {
    if (this.closed) return;
    const frames = this.reader.push(bytes);
    this.queue = this.queue.then(async () => {
      if ('error' in frames) return this.fail(frames.error);
      for (const f of frames) {
        if (this.closed) return;
        const error = await this.handle(f);
        if (error !== undefined) return this.fail(error);
      }
    });
  }

  /** Sends a frame to the client. */
  send(frame: Uint8Array): void {
    if (!this.closed) this.transport.write(frame);
  }

  /** True while the transport holds more unsent bytes than it should. */
  congested(): boolean {
    return this.transport.buffered() > HIGH_WATER;
  }

  /** Calls `fn` once the transport has sent most of what it holds (or the session closed). */
  whenDrained(fn: () => void): void {
    const check = (): void => {
      if (this.closed || this.transport.buffered() <= HIGH_WATER / 4) fn();
      else setTimeout(check, 5);
    };
    setTimeout(check, 5);
  }

  /** Forgets a stream closed both ways. */
  settle(stream: SpdyStream): void {
    if (stream.localClosed && stream.remoteClosed) this.streams.delete(stream.id);
  }

  /** Ends the session: every stream is reset for its listeners, the transport closed. */
  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.emit('reset');
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
    this.transport.close();
    this.emit('close', reason);
  }

  private fail(reason: string): void {
    this.send(goAway(this.lastStream, RST_PROTOCOL_ERROR));
    this.close(reason);
  }

  private async headerBlock(compressed: Uint8Array): Promise<Map<string, string> | undefined> {
    try {
      return decodeHeaderBlock(await through(this.inflate, compressed));
    } catch {
      return undefined;
    }
  }

  private async handle(f: Frame): Promise<string | undefined> {
    if (!f.control) {
      const s = this.streams.get(f.streamId);
      if (s === undefined || s.remoteClosed) return undefined; // late data of a reset stream
      if (f.payload.length > 0) s.emit('data', Buffer.from(f.payload));
      if ((f.flags & FLAG_FIN) !== 0) {
        s.remoteClosed = true;
        s.emit('end');
        this.settle(s);
      }
      return undefined;
    }
    switch (f.type) {
      case SYN_STREAM: {
        const syn = parseSynStream(f.payload);
        if (syn === undefined || syn.streamId % 2 !== 1 || syn.streamId <= this.lastStream)
          return 'SYN_STREAM with a malformed or reused stream id';
        const headers = await this.headerBlock(syn.headerBlock);
        if (headers === undefined) return 'SYN_STREAM with an undecodable header block';
        this.lastStream = syn.streamId;
        const stream = new SpdyStream(syn.streamId, headers, this);
        this.streams.set(stream.id, stream);
        const empty = await through(this.deflate, encodeHeaderBlock(new Map()));
        this.send(synReply(stream.id, empty));
        this.emit('stream', stream);
        if ((f.flags & FLAG_FIN) !== 0) {
          stream.remoteClosed = true;
          stream.emit('end');
        }
        return undefined;
      }
      case HEADERS:
        // Keeps the compression context in step; the headers themselves change nothing here.
        return (await this.headerBlock(f.payload.subarray(4))) === undefined
          ? 'undecodable HEADERS'
          : undefined;
      case RST_STREAM: {
        const s = this.streams.get(u32(f.payload, 0) & 0x7fffffff);
        if (s !== undefined) {
          s.remoteClosed = s.localClosed = true;
          this.streams.delete(s.id);
          s.emit('reset');
        }
        return undefined;
      }
      case PING:
        this.send(controlFrame(PING, 0, f.payload));
        return undefined;
      case GOAWAY:
        this.close();
        return undefined;
      default:
        return undefined; // SETTINGS, WINDOW_UPDATE and unknown control frames are ignored.
    }
  }
}

/**
 * Answers an `Upgrade: SPDY/3.1` request with `101 Switching Protocols` naming the agreed
 * `X-Stream-Protocol-Version`, and runs a session on the socket: `build` makes it from the
 * socket's transport (to watch the traffic, say).
 */
export function acceptSpdy(
  socket: Duplex,
  head: Buffer,
  protocol: string,
  build: (transport: SpdyTransport) => SpdySession = (t) => new SpdySession(t),
): SpdySession {
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
      `X-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
  const session = build({
    write: (b) => socket.write(b),
    close: () => socket.end(),
    buffered: () => socket.writableLength,
  });
  socket.on('data', (d: Buffer) => session.feed(d));
  socket.once('close', () => session.close());
  if (head.length > 0) session.feed(head);
  return session;
}
