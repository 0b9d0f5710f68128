/**
 * A lean HTTP/1.1 keep-alive connection for the small-object S3 bench: one request at a time,
 * request line and headers written with the body in one socket write, the reply read by its
 * Content-Length. On a 2-core machine the bench client shares the CPU with the gateway child,
 * and node:http's ClientRequest/IncomingMessage/Agent machinery costs about as much per request
 * as the gateway's own HTTP layer; this client costs a fraction of that, as the compiled S3
 * clients the issue compares with (Go, Rust) do. It still speaks real HTTP and every request
 * carries its own SigV4 signature.
 */
import { connect, type Socket } from 'node:net';

/** A reply: status and the whole body. */
export interface SmallReply {
  status: number;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** One keep-alive connection; requests on it must not overlap. */
export class SmallHttpConnection {
  private socket: Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: SmallReply) => void; reject: (e: Error) => void } | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Sends one request (headers as given, plus content-length) and reads the reply whole. */
  request(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<SmallReply> {
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
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      socket.write(body === undefined ? head : Buffer.concat([Buffer.from(head, 'latin1'), body]));
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
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.parse();
    });
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

  private parse(): void {
    const end = this.buffered.indexOf(HEADER_END);
    if (end < 0 || this.waiting === undefined) return;
    const head = this.buffered.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (match === null || !Number.isInteger(status)) {
      this.fail(new Error(`a reply without Content-Length: ${head.slice(0, 200)}`));
      return;
    }
    const length = Number(match[1]);
    const total = end + HEADER_END.length + length;
    if (this.buffered.length < total) return;
    const body = this.buffered.subarray(end + HEADER_END.length, total);
    this.buffered = this.buffered.subarray(total);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve({ status, body });
  }
}
