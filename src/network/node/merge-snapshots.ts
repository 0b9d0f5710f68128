/**
 * Sums the threads' counters into the `stats()` answer: per listener, then per endpoint, with
 * the endpoint's state as the main thread sees it and its in-flight count from shared memory.
 */
import type { Listener } from '../proxy-config.js';
import { emptyTraffic, mergeTraffic, type ListenerStats } from '../traffic-stats.js';
import type { ListenerSnapshot } from './listener-counters.js';

/** One thread's report: per listener, its counters and (main thread) endpoint states. */
export type ThreadSnapshot = Record<string, ListenerSnapshot & { states: Record<string, string> }>;

/** What the merge needs from the data plane. */
export interface MergeContext {
  driver: string;
  port(listener: string): number;
  active(listener: string, endpointId: string): number;
}

/** See the file comment. */
export function mergeSnapshots(
  listeners: readonly Listener[],
  snapshots: readonly ThreadSnapshot[],
  context: MergeContext,
): ListenerStats[] {
  return listeners.map((l) => {
    const traffic = emptyTraffic();
    let activeConnections = 0;
    let connections = 0;
    for (const s of snapshots) {
      const mine = s[l.name];
      if (mine === undefined) continue;
      mergeTraffic(traffic, mine.traffic);
      activeConnections += mine.activeConnections;
      connections += mine.connections;
    }
    const states = snapshots[0]?.[l.name]?.states ?? {};
    return {
      name: l.name,
      protocol: l.protocol,
      address: l.address,
      port: context.port(l.name),
      algorithm: l.algorithm,
      driver: context.driver,
      activeConnections,
      connections,
      traffic,
      endpoints: l.endpoints.map((e) => {
        const t = emptyTraffic();
        for (const s of snapshots) {
          const mine = s[l.name]?.endpoints[e.id];
          if (mine !== undefined) mergeTraffic(t, mine);
        }
        return {
          id: e.id,
          address: e.address,
          port: e.port,
          weight: e.weight,
          state: states[e.id] ?? 'serving',
          active: context.active(l.name, e.id),
          traffic: t,
        };
      }),
    };
  });
}
