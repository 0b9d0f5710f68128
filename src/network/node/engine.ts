/**
 * What each thread of the node data plane runs: its listeners (HTTP, TCP; UDP on the main
 * thread only), one EndpointPool per listener fed by the shared in-flight counts and affinity
 * table, and the thread's counters. The main thread's engine and the workers' engines get the
 * same messages: a configuration (with a listening descriptor per listener for this thread),
 * health verdicts, ejections.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { systemClock } from '../../common/clock.js';
import { AccessLog } from '../access-log.js';
import { AffinityTable } from '../affinity-table.js';
import { EndpointPool } from '../endpoint-pool.js';
import type { Listener } from '../proxy-config.js';
import { HttpListener, type ListenerContext } from './http-listener.js';
import { ListenerCounters, type ListenerSnapshot } from './listener-counters.js';
import { SlotCounts } from './shared-slots.js';
import { TcpListener } from './tcp-listener.js';
import { UdpListener } from './udp-listener.js';

/** One listener as a thread receives it. */
export interface ThreadListener {
  listener: Listener;
  /** This thread's descriptor of the listening socket (HTTP and TCP). */
  fd?: number;
  /** Shared-count slot of each endpoint id. */
  slots: Record<string, number>;
}

/** Shared memory and settings every engine starts with. */
export interface EngineOptions {
  counts: SharedArrayBuffer;
  affinity: SharedArrayBuffer;
  accessLogPath?: string | undefined;
  /** How long a removed listener's open connections may take to finish. */
  drainMs: number;
  onEject(listener: string, endpointId: string, untilMs: number): void;
}

interface Running {
  listener: Listener;
  fd: number | undefined;
  pool: EndpointPool;
  counts: SlotCounts;
  counters: ListenerCounters;
  handler: HttpListener | TcpListener | UdpListener;
  server: Server | undefined;
}

/** See the file comment. */
export class Engine {
  private readonly running = new Map<string, Running>();
  private readonly cells: Int32Array;
  private readonly affinity: AffinityTable;
  private readonly log: AccessLog | undefined;

  constructor(private readonly options: EngineOptions) {
    this.cells = new Int32Array(options.counts);
    this.affinity = new AffinityTable(new Int32Array(options.affinity));
    this.log = options.accessLogPath === undefined ? undefined : new AccessLog(options.accessLogPath);
  }

  /** Applies a whole configuration: listeners not named close (after their connections drain). */
  async apply(listeners: readonly ThreadListener[]): Promise<Record<string, number>> {
    const ports: Record<string, number> = {};
    const closing: Promise<void>[] = [];
    for (const [name, r] of this.running) {
      const next = listeners.find((t) => t.listener.name === name);
      if (next === undefined || !sameBind(r, next)) {
        this.running.delete(name);
        closing.push(this.stop(r));
      }
    }
    for (const t of listeners) {
      const r = this.running.get(t.listener.name);
      if (r === undefined) ports[t.listener.name] = await this.start(t);
      else this.update(r, t);
    }
    await Promise.all(closing);
    return ports;
  }

  /** Takes connections accepted (paused) while the listener's socket was being shared. */
  adopt(listener: string, sockets: readonly Socket[]): void {
    const r = this.running.get(listener);
    for (const socket of sockets) {
      if (r === undefined || r.handler instanceof UdpListener) socket.destroy();
      else {
        r.handler.accept(socket);
        if (r.handler instanceof HttpListener) socket.resume();
      }
    }
  }

  setHealthy(listener: string, endpointId: string, healthy: boolean): void {
    this.running.get(listener)?.pool.setHealthy(endpointId, healthy);
  }

  eject(listener: string, endpointId: string, untilMs: number): void {
    this.running.get(listener)?.pool.eject(endpointId, untilMs);
  }

  /** This thread's counters and, for the main thread, each endpoint's state. */
  snapshot(): Record<string, ListenerSnapshot & { states: Record<string, string> }> {
    const out: Record<string, ListenerSnapshot & { states: Record<string, string> }> = {};
    for (const [name, r] of this.running) {
      const states: Record<string, string> = {};
      for (const e of r.listener.endpoints) states[e.id] = r.pool.state(e.id);
      out[name] = { ...r.counters.snapshot(), states };
    }
    return out;
  }

  async close(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => this.stop(r, 0)));
    await this.log?.close();
  }

  private async start(t: ThreadListener): Promise<number> {
    const { listener } = t;
    const counters = new ListenerCounters();
    const counts = new SlotCounts(this.cells, t.slots);
    const pool = new EndpointPool(listener, { clock: systemClock, counts, affinity: this.affinity });
    const context: ListenerContext = {
      pool,
      counts,
      counters,
      log: this.log,
      onEject: (id, until) => this.options.onEject(listener.name, id, until),
    };
    const base = { listener, pool, counts, counters };
    if (listener.protocol === 'udp') {
      const handler = new UdpListener(listener, context);
      const port = await handler.bind();
      this.running.set(listener.name, { ...base, fd: undefined, handler, server: undefined });
      return port;
    }
    const handler =
      listener.protocol === 'http' ? new HttpListener(listener, context) : new TcpListener(listener, context);
    const server = createServer(
      { pauseOnConnect: listener.protocol === 'tcp', noDelay: true },
      (socket: Socket) => handler.accept(socket),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd: t.fd as number }, resolve);
    });
    server.on('error', () => undefined);
    this.running.set(listener.name, { ...base, fd: t.fd, handler, server });
    return listener.port;
  }

  private update(r: Running, t: ThreadListener): void {
    r.listener = t.listener;
    // Endpoints that stay keep their slots; new ones get theirs.
    r.counts.setSlots(t.slots);
    r.pool.update(t.listener);
    r.counters.retain(new Set(t.listener.endpoints.map((e) => e.id)));
    r.handler.update(t.listener);
  }

  /** Stops accepting at once; open connections get `graceMs` to finish. */
  private async stop(r: Running, graceMs = this.options.drainMs): Promise<void> {
    const server = r.server;
    const closed =
      server === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => server.close(() => resolve()));
    if (r.handler instanceof UdpListener) await r.handler.close();
    else await r.handler.close(graceMs);
    await closed;
  }
}

function sameBind(r: Running, t: ThreadListener): boolean {
  const a = r.listener;
  const b = t.listener;
  return a.address === b.address && a.protocol === b.protocol && a.port === b.port && r.fd === t.fd;
}
