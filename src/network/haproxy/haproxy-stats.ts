/**
 * Reads HAProxy's `show stat` CSV into the data plane's ListenerStats: the frontend row gives
 * the listener's connections, the server rows (`sN`) each endpoint's requests, bytes,
 * responses and in-flight requests; its status gives the state. Latency histograms come from
 * the access log (see haproxy-data-plane.ts), not from here. Pure.
 */
import { routableEndpoints } from '../endpoint-pool.js';
import type { Listener } from '../proxy-config.js';
import { emptyTraffic, type ListenerStats, type Traffic } from '../traffic-stats.js';
import { proxyName } from './haproxy-config.js';
import type { SlotTable } from './slot-table.js';

/** `show stat` rows as objects keyed by the CSV header. */
export function parseStatCsv(csv: string): Array<Record<string, string>> {
  const lines = csv.split('\n').filter((l) => l.length > 0);
  const header = (lines[0] ?? '').replace(/^# /, '').split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

const num = (v: string | undefined): number => (v === undefined || v === '' ? 0 : Number(v));

function trafficOf(row: Record<string, string> | undefined, requestsField: string): Traffic {
  const t = emptyTraffic();
  if (row === undefined) return t;
  t.requests = num(row[requestsField]);
  t.bytesIn = num(row.bin);
  t.bytesOut = num(row.bout);
  t.failures = num(row.econ) + num(row.eresp) + num(row.ereq);
  t.retries = num(row.wretr) + num(row.wredis);
  t.responses = {
    '1xx': num(row.hrsp_1xx),
    '2xx': num(row.hrsp_2xx),
    '3xx': num(row.hrsp_3xx),
    '4xx': num(row.hrsp_4xx),
    '5xx': num(row.hrsp_5xx),
  };
  return t;
}

function stateOf(status: string | undefined, routable: boolean): string {
  if (!routable || status === undefined || status.startsWith('MAINT') || status.startsWith('DRAIN'))
    return 'draining';
  if (status.startsWith('DOWN')) return 'unhealthy';
  return 'serving';
}

/** Builds the stats of `listeners` from the rows (see the file comment). */
export function listenerStatsFromRows(
  listeners: readonly Listener[],
  slots: ReadonlyMap<string, SlotTable>,
  rows: ReadonlyArray<Record<string, string>>,
): ListenerStats[] {
  const index = new Map(rows.map((r) => [`${r.pxname}/${r.svname}`, r]));
  return listeners.map((l) => {
    const name = proxyName(l.name);
    const fe = index.get(`f_${name}/FRONTEND`);
    const routable = new Set(routableEndpoints(l.endpoints).map((e) => e.id));
    return {
      name: l.name,
      protocol: l.protocol,
      address: l.address,
      port: l.port,
      algorithm: l.algorithm,
      driver: 'haproxy',
      activeConnections: num(fe?.scur),
      connections: num(fe?.stot),
      traffic: trafficOf(fe, 'req_tot'),
      endpoints: l.endpoints.map((e) => {
        const slot = slots.get(l.name)?.slotOf(e.id);
        const row = slot === undefined ? undefined : index.get(`b_${name}/s${slot}`);
        const traffic = trafficOf(row, 'stot');
        return {
          id: e.id,
          address: e.address,
          port: e.port,
          weight: e.weight,
          state: stateOf(row?.status, routable.has(e.id)),
          active: num(row?.scur),
          traffic,
        };
      }),
    };
  });
}
