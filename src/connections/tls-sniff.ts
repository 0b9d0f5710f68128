import { BlockList, type Socket } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether a peer address is loopback: 127.0.0.0/8, ::1, or 127.x written as IPv4-mapped IPv6. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  // BlockList checks IPv4-mapped IPv6 addresses against the IPv4 rules.
  return LOOPBACK.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
}

/** Something a connection is handed to: a node:http, node:https or node:tls server. */
interface ConnectionSink {
  emit(event: 'connection', socket: Socket): unknown;
}

/** Options of sniffTls. */
export interface TlsSniffOptions {
  /** Where TLS connections go (node:https). */
  tls: ConnectionSink;
  /** Where plain-HTTP connections go when `allowPlain` lets them; none: every one is refused. */
  plain?: ConnectionSink;
  /** Which peers may speak plain HTTP; default none. */
  allowPlain?: (socket: Socket) => boolean;
  /** Why plain HTTP was refused, said in the answer: `use https:// with the cluster CA`. */
  refusal: string;
}

/**
 * A ConnectionGuard `dispatch` for a port that speaks TLS (and maybe plain HTTP to some peers):
 * the first byte of a connection tells a TLS ClientHello (record type 22) from anything else.
 * Plain HTTP that is not let through gets a 400 saying so, as Go's servers answer
 * (`Client sent an HTTP request to an HTTPS server.`), instead of a TLS alert the client cannot
 * read, and the connection is closed.
 */
export function sniffTls(options: TlsSniffOptions): (socket: Socket) => void {
  return (socket) => {
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      if (chunk[0] === 0x16) {
        socket.unshift(chunk);
        options.tls.emit('connection', socket);
      } else if (options.plain !== undefined && options.allowPlain?.(socket) === true) {
        socket.unshift(chunk);
        options.plain.emit('connection', socket);
      } else {
        const body = `Client sent an HTTP request to an HTTPS server: ${options.refusal}\n`;
        socket.end(
          'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n' +
            `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
        // Read and drop the rest of the request until the client closes, for a second at most,
        // so that it reads the answer rather than a reset.
        setTimeout(() => socket.destroy(), 1000).unref();
      }
      process.nextTick(() => socket.resume());
    });
  };
}
