/**
 * A DNS server on UDP and TCP (RFC 1035 and 7766 framing) at one address and port: names of the
 * cluster zone are answered by `answer` (authoritative), every other name is forwarded as it is
 * to the upstream resolvers in turn (UDP, then TCP when the reply is truncated or the client
 * asked over TCP), as CoreDNS's `forward . /etc/resolv.conf`.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { listenFailed } from '../errors.js';
import { DnsFormatError, RCODE, encodeResponse, messageId, parseQuery, type Query } from './dns-message.js';
import { inZone, lookupCluster, type DnsCatalog } from './cluster-records.js';

const FORWARD_TIMEOUT_MS = 2_000;
/** Open TCP connections at once; Node closes further ones as they arrive. */
const MAX_TCP_CONNECTIONS = 256;
/** Answers a TCP client may leave unread before it is disconnected. */
const MAX_TCP_UNREAD_BYTES = 1 << 20;

/** Options of `DnsServer.start`. */
export interface DnsServerOptions {
  /** Where to listen, e.g. the pod bridge's gateway address. */
  address: string;
  /** Default 53; 0 picks a free port (UDP and TCP then share the UDP socket's). */
  port?: number;
  /** Default `cluster.local`. */
  zone?: string;
  catalog: DnsCatalog;
  /** `ADDRESS` or `ADDRESS:PORT` of resolvers for other names; none: such names get SERVFAIL. */
  upstreams?: string[];
}

/** See the file comment. */
export class DnsServer {
  private readonly zone: string;
  private readonly upstreams: Array<{ host: string; port: number }>;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly options: DnsServerOptions,
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    /** The port it listens on. */
    readonly port: number,
  ) {
    this.zone = (options.zone ?? 'cluster.local').toLowerCase();
    this.upstreams = (options.upstreams ?? []).map(parseHostPort);
  }

  /**
   * Binds UDP and TCP; rejects with `NETWORK_LISTEN_FAILED` when either cannot bind. With port 0
   * the UDP socket picks the port and TCP takes the same one, which another socket may hold:
   * then both are tried again on a new port, a bounded number of times.
   */
  static async start(options: DnsServerOptions): Promise<DnsServer> {
    const wanted = options.port ?? 53;
    for (let attempt = 1; ; attempt++) {
      const udp = createSocket('udp4');
      const port = await new Promise<number>((resolve, reject) => {
        udp.once('error', (err) => reject(listenFailed('dns', options.address, wanted, err.message)));
        udp.bind(wanted, options.address, () => resolve(udp.address().port));
      });
      const tcp = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', (err) => reject(listenFailed('dns', options.address, port, err.message)));
          tcp.listen({ port, host: options.address, exclusive: true }, () => resolve());
        });
      } catch (err) {
        udp.close();
        if (wanted === 0 && attempt < 20) continue;
        throw err;
      }
      return DnsServer.serve(options, udp, tcp, port);
    }
  }

  private static serve(options: DnsServerOptions, udp: UdpSocket, tcp: Server, port: number): DnsServer {
    const server = new DnsServer(options, udp, tcp, port);
    udp.on('message', (msg, rinfo) => {
      void server.handle(msg, 'udp').then((reply) => {
        if (reply !== undefined) udp.send(reply, rinfo.port, rinfo.address);
      });
    });
    udp.on('error', () => undefined);
    tcp.maxConnections = MAX_TCP_CONNECTIONS;
    tcp.on('connection', (s) => server.serveTcp(s));
    return server;
  }

  /** Stops listening and closes open TCP connections. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((r) => this.udp.close(() => r())),
      new Promise<void>((r) => this.tcp.close(() => r())),
    ]);
  }

  private serveTcp(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setTimeout(10_000, () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        void this.handle(msg, 'tcp').then((reply) => {
          if (reply === undefined || socket.destroyed) return;
          // A client that sends queries and never reads its answers is dropped, not buffered for.
          if (socket.writableLength > MAX_TCP_UNREAD_BYTES) return void socket.destroy();
          const head = Buffer.alloc(2);
          head.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([head, reply]));
        });
      }
    });
  }

  /** The reply to one message, or undefined when none should be sent. */
  async handle(msg: Uint8Array, transport: 'udp' | 'tcp'): Promise<Uint8Array | undefined> {
    let query: Query;
    try {
      query = parseQuery(msg);
    } catch (err) {
      if (!(err instanceof DnsFormatError) || msg.length < 12) return undefined;
      return encodeResponse({
        id: messageId(msg),
        rd: false,
        aa: false,
        ra: true,
        rcode: RCODE.FORMERR,
        questions: [],
        answers: [],
      });
    }
    const base = { id: query.id, rd: query.rd, ra: true, opcode: query.opcode, questions: query.questions };
    const edns = query.ednsUdpSize === undefined ? {} : { ednsUdpSize: 1232 };
    const question = query.questions[0];
    if (query.opcode !== 0) return encodeResponse({ ...base, aa: false, rcode: RCODE.NOTIMP, answers: [] });
    if (question === undefined || query.questions.length > 1) {
      return encodeResponse({ ...base, aa: false, rcode: RCODE.FORMERR, answers: [] });
    }
    const name = question.name.toLowerCase();
    if (inZone(name, this.zone)) {
      const a = lookupCluster(this.options.catalog, question.name, question.type, this.zone);
      const max = transport === 'tcp' ? 65535 : Math.min(query.ednsUdpSize ?? 512, 1232);
      return encodeResponse({ ...base, ...edns, aa: true, ...a }, max);
    }
    const reply = await this.forward(msg, transport);
    return reply ?? encodeResponse({ ...base, ...edns, aa: false, rcode: RCODE.SERVFAIL, answers: [] });
  }

  private async forward(msg: Uint8Array, transport: 'udp' | 'tcp'): Promise<Uint8Array | undefined> {
    for (const up of this.upstreams) {
      try {
        let reply = transport === 'udp' ? await forwardUdp(msg, up) : undefined;
        // TC set: the client over UDP gets it as it is (and retries over TCP itself).
        if (reply === undefined) reply = await forwardTcp(msg, up);
        return reply;
      } catch {
        // The next upstream.
      }
    }
    return undefined;
  }
}

function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(.*?)(?::(\d+))?$/.exec(text);
  return { host: m?.[1] ?? text, port: m?.[2] === undefined ? 53 : Number(m[2]) };
}

function forwardUdp(msg: Uint8Array, up: { host: string; port: number }): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const s = createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
    const done = (fn: () => void) => {
      clearTimeout(timer);
      s.close();
      fn();
    };
    const timer = setTimeout(() => done(() => reject(new Error('upstream timeout'))), FORWARD_TIMEOUT_MS);
    s.on('error', (err) => done(() => reject(err)));
    s.on('message', (reply) => {
      if (messageId(reply) === messageId(msg)) done(() => resolve(reply));
    });
    s.send(msg, up.port, up.host);
  });
}

function forwardTcp(msg: Uint8Array, up: { host: string; port: number }): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const s = connect(up.port, up.host);
    let pending = Buffer.alloc(0);
    s.setTimeout(FORWARD_TIMEOUT_MS, () => s.destroy(new Error('upstream timeout')));
    s.on('error', reject);
    s.on('connect', () => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(msg.length);
      s.write(Buffer.concat([head, msg]));
    });
    s.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        resolve(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        s.destroy();
      }
    });
    s.on('close', () => reject(new Error('upstream closed')));
  });
}
