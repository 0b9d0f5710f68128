/**
 * One thread's counters of one listener: its traffic, each endpoint's, and its client
 * connections. `snapshot()` is what the thread reports to the main thread, which sums threads.
 */
import { emptyTraffic, type Traffic } from '../traffic-stats.js';

/** What a thread reports for one listener. */
export interface ListenerSnapshot {
  traffic: Traffic;
  endpoints: Record<string, Traffic>;
  activeConnections: number;
  connections: number;
}

/** See the file comment. */
export class ListenerCounters {
  readonly traffic = emptyTraffic();
  private endpoints = new Map<string, Traffic>();
  activeConnections = 0;
  connections = 0;

  endpoint(id: string): Traffic {
    let t = this.endpoints.get(id);
    if (t === undefined) {
      t = emptyTraffic();
      this.endpoints.set(id, t);
    }
    return t;
  }

  /** Counts a client connection until it closes. */
  track(socket: NodeJS.EventEmitter): void {
    this.connections++;
    this.activeConnections++;
    socket.once('close', () => this.activeConnections--);
  }

  /** Forgets endpoints that are gone from the configuration. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.endpoints.keys()) if (!ids.has(id)) this.endpoints.delete(id);
  }

  snapshot(): ListenerSnapshot {
    return {
      traffic: this.traffic,
      endpoints: Object.fromEntries(this.endpoints),
      activeConnections: this.activeConnections,
      connections: this.connections,
    };
  }
}
