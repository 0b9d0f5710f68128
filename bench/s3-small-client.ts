/**
 * A lean HTTP/1.1 keep-alive connection for the S3 benches: one request at a time, the request
 * line and headers written with the body, the reply read by its Content-Length into one reused
 * read buffer (`onread`), so that receiving allocates nothing per read. On a 2-core machine the
 * bench client shares the CPU with the gateway child, and node:http's ClientRequest/
 * IncomingMessage/Agent machinery costs about as much per request as the gateway's own HTTP
 * layer, while its per-read buffers and body copies fault in fresh pages on every large reply;
 * this client costs a fraction of that, as the compiled S3 clients the issue compares with (Go,
 * Rust) do. It still speaks real HTTP and every request carries its own SigV4 signature.
 */
import { connect, type Socket } from 'node:net';

/** A reply: status, the body's length, and the body itself unless it was discarded. */
export interface SmallReply {
  status: number;
  length: number;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const READ_BUFFER_BYTES = 256 * 1024;

interface Pending {
  keepBody: boolean;
  /** HEAD replies carry a Content-Length but no body. */
  head: boolean;
  resolve: (r: SmallReply) => void;
  reject: (e: Error) => void;
}

/** One keep-alive connection; requests on it must not overlap. */
export class SmallHttpConnection {
  private socket: Socket | undefined;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  /** Bytes of the reply head seen so far (copied out of the read buffer). */
  private head: Buffer = Buffer.alloc(0);
  /** Once the head is parsed: status, body bytes still to come, and the body kept so far. */
  private reply: { status: number; length: number; remaining: number; parts: Buffer[] } | undefined;
  private waiting: Pending | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs = 30_000,
  ) {}

  /**
   * Sends one request (headers as given, plus content-length) and reads the reply; with
   * `keepBody: false` the body of a 2xx reply is only counted (large GETs).
   */
  request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer,
    options: { keepBody?: boolean } = {},
  ): Promise<SmallReply> {
    if (this.waiting !== undefined) throw new Error('SmallHttpConnection: requests must not overlap');
    const socket = this.open();
    let head = `${method} ${path} HTTP/1.1\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    head += `content-length: ${body?.length ?? 0}\r\n\r\n`;
    return new Promise<SmallReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`${method} ${path}: no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting = {
        keepBody: options.keepBody ?? true,
        head: method === 'HEAD',
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      // Small bodies go out with the head in one write; large ones as a second write (no copy).
      if (body === undefined) socket.write(head);
      else if (body.length <= 64 * 1024) socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
      else {
        socket.cork();
        socket.write(head);
        socket.write(body);
        socket.uncork();
      }
    });
  }

  /** Closes the connection. */
  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  private open(): Socket {
    if (this.socket !== undefined && !this.socket.destroyed && this.socket.writable) return this.socket;
    const socket = connect({
      host: this.host,
      port: this.port,
      noDelay: true,
      onread: {
        buffer: this.readBuffer,
        callback: (n: number, buf: Uint8Array) => {
          this.received(Buffer.from(buf.buffer, buf.byteOffset, n));
          return true;
        },
      },
    });
    this.head = Buffer.alloc(0);
    this.reply = undefined;
    socket.on('error', (err) => {
      if (this.socket === socket) this.fail(err);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.fail(new Error('the connection closed before the reply'));
    });
    this.socket = socket;
    return socket;
  }

  private fail(err: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    waiting?.reject(err);
  }

  /** Takes bytes from the read buffer (valid only during the call). */
  private received(data: Buffer): void {
    if (this.reply === undefined) {
      this.head = Buffer.concat([this.head, data]);
      const end = this.head.indexOf(HEADER_END);
      if (end < 0) return;
      const text = this.head.toString('latin1', 0, end);
      const status = Number(text.slice(9, 12));
      const match = /\r\ncontent-length:\s*(\d+)/i.exec(text);
      const bodyless = status === 204 || status === 304 || this.waiting?.head === true;
      if ((match === null && !bodyless) || !Number.isInteger(status)) {
        this.fail(new Error(`a reply without Content-Length: ${text.slice(0, 200)}`));
        return;
      }
      const length = bodyless ? 0 : Number(match?.[1] ?? 0);
      this.reply = { status, length, remaining: length, parts: [] };
      data = this.head.subarray(end + HEADER_END.length);
      this.head = Buffer.alloc(0);
    }
    const reply = this.reply;
    const take = Math.min(reply.remaining, data.length);
    const keep = this.waiting?.keepBody !== false || reply.status >= 300;
    if (take > 0 && keep) reply.parts.push(Buffer.from(data.subarray(0, take)));
    reply.remaining -= take;
    if (reply.remaining > 0) return;
    this.reply = undefined;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve({ status: reply.status, length: reply.length, body: Buffer.concat(reply.parts) });
  }
}
