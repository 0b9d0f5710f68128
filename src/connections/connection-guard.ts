import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ClientCounts, clientKey, type Refusal, type ResolvedLimits } from './connection-limits.js';

/** The process's open-file limit (Node raises the soft limit to the hard one at start). */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m?.[1] !== undefined) return m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  } catch {
    // not Linux
  }
  return 4096;
}

/** Something that emits `request` as node:http and node:https servers do. */
interface RequestSource {
  on(event: 'request', listener: (req: IncomingMessage, res: ServerResponse) => void): unknown;
}

/** Options of a ConnectionGuard. */
export interface ConnectionGuardOptions {
  limits: ResolvedLimits;
  /** Hands an admitted connection to the HTTP layer (`emit('connection')`, after a TLS sniff …). */
  dispatch(socket: Socket): void;
  /** The HTTP servers the connections end up in: their requests move the deadlines. */
  servers: RequestSource[];
  /**
   * The raw answer to write to a connection over a cap before closing it (an HTTP 503 …);
   * undefined, or no function, closes it at once (a port that may speak TLS cannot answer yet).
   */
  refusal?: (why: Refusal) => string | undefined;
}

/** What the guard did, for metrics and tests. */
export interface GuardStats {
  refused: Record<Refusal, number>;
  timedOut: { headers: number; keepAlive: number; request: number };
}

/** One open connection: what it waits for and until when. */
interface Conn {
  socket: Socket;
  phase: 'headers' | 'request' | 'idle';
  deadline: number;
  inflight: number;
  req: IncomingMessage | undefined;
  bytesAtIdle: number;
}

/** Refused connections that may linger at once to read their answer; beyond, they are just closed. */
const MAX_LINGERING = 64;

/**
 * The listening side of an HTTP port: accepts connections itself, counts them against the caps
 * (answering or closing one beyond), hands the others to the HTTP layer, and closes those that
 * overstay a deadline: no complete request headers within `headersTimeoutMs` of accepting (or
 * of a request beginning on an idle connection), no new request within `keepAliveTimeoutMs` of a
 * response, no complete body within `requestTimeoutMs` of the headers. Deadlines are absolute,
 * so a client that trickles a byte now and then gains nothing. They are checked on one timer
 * (a quarter of the shortest timeout, at most a second), and a request moves them by one
 * assignment, so a busy port pays no timer per request.
 */
export class ConnectionGuard {
  readonly stats: GuardStats = {
    refused: { total: 0, client: 0 },
    timedOut: { headers: 0, keepAlive: 0, request: 0 },
  };
  private readonly server: Server;
  private readonly counts: ClientCounts;
  private readonly conns = new Map<string, Conn>();
  /** The connection of a socket a request came on (TLS or plain), found once per socket. */
  private readonly bySocket = new WeakMap<Socket, Conn>();
  private readonly timer: NodeJS.Timeout;
  private lingering = 0;
  private lastAcceptError = 0;

  constructor(private readonly options: ConnectionGuardOptions) {
    const { limits } = options;
    this.counts = new ClientCounts(limits);
    this.server = createServer((socket) => this.accept(socket));
    for (const s of options.servers) s.on('request', (req, res) => this.onRequest(req, res));
    const timeouts = [limits.headersTimeoutMs, limits.keepAliveTimeoutMs, limits.requestTimeoutMs].filter(
      (t) => t > 0,
    );
    const tick = Math.max(10, Math.min(1000, Math.floor(Math.min(...timeouts) / 4)));
    this.timer = setInterval(() => this.sweep(), tick);
    this.timer.unref();
  }

  /** Starts listening on `host:port` (0 picks a free port). */
  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // Accepting can fail later (EMFILE when descriptors run out): the port stays up.
    this.server.on('error', (err) => {
      if (Date.now() - this.lastAcceptError < 60_000) return;
      this.lastAcceptError = Date.now();
      process.stderr.write(`connections: accepting on port ${port} failed: ${err.message}\n`);
    });
  }

  /** Where the port listens; undefined before `listen`. */
  address(): AddressInfo | undefined {
    return (this.server.address() as AddressInfo | null) ?? undefined;
  }

  /** Connections open now. */
  get open(): number {
    return this.counts.size;
  }

  /** Stops accepting; resolves once every connection is gone (see `destroyAll`). */
  stopAccepting(): Promise<void> {
    clearInterval(this.timer);
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }

  /**
   * Stops timing a connection that has left HTTP (an Upgrade tunnel, which times its own
   * silence); it still counts against the caps until it closes.
   */
  untime(socket: Socket): void {
    const conn = this.conns.get(connKey(socket));
    if (conn === undefined) return;
    conn.phase = 'request';
    conn.req = undefined;
    conn.deadline = Infinity;
  }

  /** Closes every open connection. */
  destroyAll(): void {
    for (const c of this.conns.values()) c.socket.destroy();
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    const closed = this.stopAccepting();
    this.destroyAll();
    await closed;
  }

  private accept(socket: Socket): void {
    // Errors (a reset) belong to the HTTP layer; until it listens they must not go uncaught.
    socket.on('error', () => undefined);
    const client = clientKey(socket.remoteAddress);
    const why = this.counts.admit(client);
    if (why !== undefined) return this.refuse(socket, why);
    const key = connKey(socket);
    const conn: Conn = {
      socket,
      phase: 'headers',
      deadline: Date.now() + this.options.limits.headersTimeoutMs,
      inflight: 0,
      req: undefined,
      bytesAtIdle: 0,
    };
    this.conns.set(key, conn);
    socket.once('close', () => {
      this.conns.delete(key);
      this.counts.release(client);
    });
    this.options.dispatch(socket);
  }

  private refuse(socket: Socket, why: Refusal): void {
    this.stats.refused[why]++;
    const answer = this.lingering < MAX_LINGERING ? this.options.refusal?.(why) : undefined;
    if (answer === undefined) {
      socket.destroy();
      return;
    }
    // Answer, then read and drop what the client sends until it closes (or a second passes), so
    // that it sees the answer rather than a reset.
    this.lingering++;
    socket.once('close', () => this.lingering--);
    socket.end(answer);
    socket.resume();
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /** The connection a socket belongs to, by its address the first time, then by the socket. */
  private connOf(socket: Socket): Conn | undefined {
    let conn = this.bySocket.get(socket);
    if (conn === undefined) {
      conn = this.conns.get(connKey(socket));
      if (conn !== undefined) this.bySocket.set(socket, conn);
    }
    return conn;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const conn = this.connOf(req.socket);
    if (conn === undefined) return;
    const { limits } = this.options;
    conn.inflight++;
    conn.phase = 'request';
    conn.req = req;
    conn.deadline = limits.requestTimeoutMs > 0 ? Date.now() + limits.requestTimeoutMs : Infinity;
    res.once('close', () => {
      if (--conn.inflight > 0 || conn.socket.destroyed) return;
      conn.phase = 'idle';
      conn.req = undefined;
      conn.deadline = Date.now() + limits.keepAliveTimeoutMs;
      conn.bytesAtIdle = conn.socket.bytesRead;
    });
  }

  private sweep(): void {
    const now = Date.now();
    for (const conn of this.conns.values()) {
      if (now < conn.deadline) continue;
      if (conn.phase === 'request') {
        // Only the request's arrival is timed; its answer (a watch, a download) may take long.
        if (conn.req?.complete === true) conn.deadline = Infinity;
        else this.expire(conn, 'request');
      } else if (conn.phase === 'idle' && conn.socket.bytesRead > conn.bytesAtIdle) {
        conn.phase = 'headers';
        conn.deadline = now + this.options.limits.headersTimeoutMs;
      } else this.expire(conn, conn.phase === 'idle' ? 'keepAlive' : 'headers');
    }
  }

  private expire(conn: Conn, reason: keyof GuardStats['timedOut']): void {
    this.stats.timedOut[reason]++;
    conn.deadline = Infinity;
    conn.socket.destroy();
  }
}

/** A connection's identity on this port, the same for its raw socket and a TLS socket over it. */
function connKey(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
}
