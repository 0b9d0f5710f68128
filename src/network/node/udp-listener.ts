/**
 * A UDP listener of the userspace L4 proxy (DNS later): each client address:port is a flow
 * with its own connected socket to the endpoint chosen for it, so replies find their way back;
 * a flow ends after `idleTimeoutMs` without traffic. At most MAX_FLOWS flows; the oldest goes
 * first. Runs on the main thread only: UDP has no accept to spread over threads.
 */
import { createSocket, type Socket } from 'node:dgram';
import { listenFailed } from '../errors.js';
import type { Listener } from '../proxy-config.js';
import { recordRequest } from '../traffic-stats.js';
import type { ListenerContext } from './http-listener.js';

const MAX_FLOWS = 10_000;

interface Flow {
  upstream: Socket;
  /** Datagrams that came before the upstream socket was connected. */
  pending: Buffer[] | undefined;
  endpointId: string;
  last: number;
  bytesIn: number;
  bytesOut: number;
  started: number;
}

/** See the file comment. */
export class UdpListener {
  private socket: Socket | undefined;
  private readonly flows = new Map<string, Flow>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private listener: Listener,
    private readonly context: ListenerContext,
  ) {}

  /** Binds the listener's address; resolves with the bound port. */
  async bind(): Promise<number> {
    const l = this.listener;
    const socket = createSocket({ type: l.address.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) =>
        reject(listenFailed(l.name, l.address, l.port, err.code ?? err.message)),
      );
      socket.bind({ address: l.address, port: l.port, exclusive: true }, resolve);
    });
    socket.on('error', () => undefined);
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    this.socket = socket;
    this.sweeper = setInterval(() => this.sweep(), 1000).unref();
    return socket.address().port;
  }

  update(listener: Listener): void {
    this.listener = listener;
  }

  private onMessage(msg: Buffer, address: string, port: number): void {
    const key = `${address} ${port}`;
    let flow = this.flows.get(key);
    if (flow !== undefined && this.context.pool.endpoint(flow.endpointId) === undefined) {
      this.end(key, flow);
      flow = undefined;
    }
    if (flow === undefined) flow = this.open(key, address, port);
    if (flow === undefined) return;
    flow.last = Date.now();
    flow.bytesIn += msg.length;
    if (flow.pending !== undefined) flow.pending.push(msg);
    else flow.upstream.send(msg, (err) => err && this.end(key, flow));
  }

  private open(key: string, address: string, port: number): Flow | undefined {
    const { pool, counts, counters } = this.context;
    const choice = pool.choose({ key: address, clientAddress: address });
    if (choice.endpoint === undefined) {
      counters.traffic.failures++;
      return undefined;
    }
    const e = choice.endpoint;
    if (this.flows.size >= MAX_FLOWS) {
      const [oldestKey, oldest] = this.flows.entries().next().value as [string, Flow];
      this.end(oldestKey, oldest);
    }
    const upstream = createSocket({ type: e.address.includes(':') ? 'udp6' : 'udp4' });
    const flow: Flow = {
      upstream,
      pending: [],
      endpointId: e.id,
      last: Date.now(),
      bytesIn: 0,
      bytesOut: 0,
      started: performance.now(),
    };
    upstream.on('error', () => this.end(key, flow));
    upstream.on('message', (reply) => {
      flow.last = Date.now();
      flow.bytesOut += reply.length;
      this.socket?.send(reply, port, address);
    });
    upstream.connect(e.port, e.address, () => {
      const queued = flow.pending ?? [];
      flow.pending = undefined;
      for (const m of queued) upstream.send(m);
    });
    counts.add(e.id, 1);
    counters.connections++;
    counters.activeConnections++;
    this.flows.set(key, flow);
    return flow;
  }

  private end(key: string, flow: Flow): void {
    if (this.flows.get(key) !== flow) return;
    this.flows.delete(key);
    flow.upstream.close();
    const { counts, counters } = this.context;
    counts.add(flow.endpointId, -1);
    counters.activeConnections--;
    const ms = performance.now() - flow.started;
    recordRequest(counters.traffic, 0, ms, flow.bytesIn, flow.bytesOut);
    recordRequest(counters.endpoint(flow.endpointId), 0, ms, flow.bytesIn, flow.bytesOut);
  }

  private sweep(): void {
    const cutoff = Date.now() - this.listener.idleTimeoutMs;
    for (const [key, flow] of this.flows) if (flow.last < cutoff) this.end(key, flow);
  }

  async close(): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    for (const [key, flow] of this.flows) this.end(key, flow);
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
