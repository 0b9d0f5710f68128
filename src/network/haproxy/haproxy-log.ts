/**
 * HAProxy's access log, received as raw UDP lines on 127.0.0.1 (ACCESS_LOG_FORMAT): each line
 * becomes an entry of the access log file and a sample of its listener's and endpoint's
 * latency histograms, which `show stat` does not have.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { AccessLog } from '../access-log.js';
import type { Listener } from '../proxy-config.js';
import { emptyTraffic, recordRequest, type ListenerStats, type Traffic } from '../traffic-stats.js';
import { proxyName } from './haproxy-config.js';
import type { SlotTable } from './slot-table.js';

/** See the file comment. */
export class HaproxyLogReceiver {
  private frontends = new Map<string, { listener: string; servers: Map<string, string> }>();
  private readonly histograms = new Map<string, Traffic>();

  private constructor(
    private readonly socket: Socket,
    private readonly log: AccessLog,
    readonly port: number,
  ) {
    socket.on('message', (msg) => this.onLine(msg.toString('utf8').trim()));
  }

  static async start(log: AccessLog): Promise<HaproxyLogReceiver> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.on('error', () => undefined);
    return new HaproxyLogReceiver(socket, log, socket.address().port);
  }

  /** Follows a configuration: frontend and server names to listeners and endpoints. */
  follow(listeners: readonly Listener[], tables: ReadonlyMap<string, SlotTable>): void {
    this.frontends = new Map(
      listeners.map((l) => {
        const servers = new Map<string, string>();
        for (const e of l.endpoints) {
          const slot = tables.get(l.name)?.slotOf(e.id);
          if (slot !== undefined) servers.set(`s${slot}`, e.id);
        }
        return [`f_${proxyName(l.name)}`, { listener: l.name, servers }];
      }),
    );
  }

  private onLine(line: string): void {
    const [frontend, client, method, path, status, server, bytesIn, bytesOut, total, retries] =
      line.split(' ');
    const f = this.frontends.get(frontend ?? '');
    if (f === undefined) return;
    const endpoint = f.servers.get(server ?? '') ?? '-';
    const ms = Number(total);
    const code = Number(status);
    for (const key of [f.listener, `${f.listener}\u0000${endpoint}`]) {
      let t = this.histograms.get(key);
      if (t === undefined) this.histograms.set(key, (t = emptyTraffic()));
      recordRequest(t, code, ms, Number(bytesIn), Number(bytesOut));
    }
    this.log.add({
      time: new Date(Date.now() - ms).toISOString(),
      listener: f.listener,
      client: client ?? '-',
      method: method ?? '-',
      path: path ?? '-',
      status: code,
      endpoint,
      attempts: 1 + (Number(retries) || 0),
      bytesIn: Number(bytesIn),
      bytesOut: Number(bytesOut),
      durationMs: ms,
    });
  }

  /** Puts the histograms into `stats`. */
  addLatencies(stats: ListenerStats[]): void {
    for (const l of stats) {
      const own = this.histograms.get(l.name);
      if (own !== undefined) {
        l.traffic.latencyCounts = [...own.latencyCounts];
        l.traffic.latencySumMs = own.latencySumMs;
      }
      for (const e of l.endpoints) {
        const mine = this.histograms.get(`${l.name}\u0000${e.id}`);
        if (mine === undefined) continue;
        e.traffic.latencyCounts = [...mine.latencyCounts];
        e.traffic.latencySumMs = mine.latencySumMs;
      }
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    await this.log.close();
  }
}
