/**
 * A TCP listener of the userspace L4 proxy in one thread: each client connection goes to an
 * endpoint chosen by the listener's algorithm (the hash key and the persistence key are the
 * client's address), a connect failure or timeout tries another endpoint (bounded by
 * `retries`), and once connected the sockets are piped both ways until either side closes or
 * both are idle for `idleTimeoutMs`. Client sockets arrive paused, so nothing is read before
 * the upstream is there. A draining endpoint keeps its open connections.
 */
import { connect, type Socket } from 'node:net';
import type { Endpoint, Listener } from '../proxy-config.js';
import { recordRequest } from '../traffic-stats.js';
import type { ListenerContext } from './http-listener.js';

/** See the file comment. */
export class TcpListener {
  private readonly open = new Set<Socket>();

  constructor(
    private listener: Listener,
    private readonly context: ListenerContext,
  ) {}

  update(listener: Listener): void {
    this.listener = listener;
  }

  accept(client: Socket): void {
    const { counters } = this.context;
    counters.track(client);
    this.open.add(client);
    client.once('close', () => this.open.delete(client));
    client.on('error', () => client.destroy());
    this.attempt(client, performance.now(), new Set());
  }

  private attempt(client: Socket, started: number, tried: Set<string>): void {
    const { pool, counts, counters, log } = this.context;
    const listener = this.listener;
    const address = client.remoteAddress;
    const choice = pool.choose({ key: address, clientAddress: address, exclude: tried });
    if (choice.endpoint === undefined) {
      counters.traffic.failures++;
      recordRequest(counters.traffic, 0, performance.now() - started, 0, 0);
      client.destroy();
      return;
    }
    const endpoint: Endpoint = choice.endpoint;
    counts.add(endpoint.id, 1);
    const upstream = connect({ host: endpoint.address, port: endpoint.port, noDelay: true });
    this.open.add(upstream);
    let connected = false;
    const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), listener.connectTimeoutMs);
    upstream.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      pool.success(endpoint.id);
      client.setNoDelay(true);
      const idle = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.setTimeout(listener.idleTimeoutMs, idle);
      upstream.setTimeout(listener.idleTimeoutMs, idle);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      clearTimeout(timer);
      if (connected) return;
      const until = pool.failure(endpoint.id);
      if (until !== undefined) this.context.onEject(endpoint.id, until);
    });
    upstream.once('close', () => {
      this.open.delete(upstream);
      counts.add(endpoint.id, -1);
      if (!connected) {
        tried.add(endpoint.id);
        counters.traffic.retries++;
        if (tried.size <= listener.retries && !client.destroyed) return this.attempt(client, started, tried);
        counters.traffic.failures++;
        client.destroy();
        return;
      }
      client.destroy();
      const ms = performance.now() - started;
      const t = counters.endpoint(endpoint.id);
      recordRequest(counters.traffic, 0, ms, upstream.bytesWritten, upstream.bytesRead);
      recordRequest(t, 0, ms, upstream.bytesWritten, upstream.bytesRead);
      log?.add({
        time: new Date(Date.now() - ms).toISOString(),
        listener: listener.name,
        client: address ?? '-',
        status: 0,
        endpoint: endpoint.id,
        attempts: tried.size + 1,
        bytesIn: upstream.bytesWritten,
        bytesOut: upstream.bytesRead,
        durationMs: Math.round(ms * 1000) / 1000,
      });
    });
    client.once('close', () => upstream.destroy());
  }

  /** Stops: open connections get `graceMs` to finish, then are closed. */
  async close(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.open) s.destroy();
  }
}
