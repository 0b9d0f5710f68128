import type { KubeClient } from '../../client/index.js';
import type { KubeObject } from '../../common/kube-object.js';
import type { ListenerStats } from '../../network/index.js';
import { TablePrinter } from '../table-printer.js';

/** What one node's agent reports (`GET /apis/network.stratus.dev/v1/nodes/N/serviceproxy`). */
interface NodeProxyStats {
  node: string;
  driver: string;
  listeners: ListenerStats[];
}

interface ServiceLike extends KubeObject {
  spec?: { type?: string; clusterIP?: string; sessionAffinity?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

/** Each Ready node's service-proxy counters for one Service; nodes that cannot answer are named. */
export async function fetchServiceStats(
  client: KubeClient,
  service: string,
): Promise<{ nodes: NodeProxyStats[]; unreachable: string[] }> {
  const nodes = await client.list('nodes');
  const out: NodeProxyStats[] = [];
  const unreachable: string[] = [];
  for (const n of nodes.items) {
    const name = n.metadata.name ?? '';
    try {
      const { body } = await client.request<NodeProxyStats>(
        'GET',
        `/apis/network.stratus.dev/v1/nodes/${encodeURIComponent(name)}/serviceproxy`,
        { query: { service } },
      );
      out.push(body);
    } catch (err) {
      unreachable.push(`${name} (${(err as Error).message})`);
    }
  }
  return { nodes: out, unreachable };
}

function listenerKind(name: string): string {
  if (name.endsWith('/node-port')) return 'NodePort';
  return name.includes('/lb/') ? 'LoadBalancer' : 'ClusterIP';
}

/**
 * The text of `stratus explain service NAME`: its addresses and, per node whose proxy serves it
 * and per listener, the data plane, the algorithm, open connections and every endpoint with its
 * state, weight, requests (connections for TCP), share of the listener's requests since the proxy
 * started serving it, and requests in flight.
 */
export function formatServiceExplain(
  svc: ServiceLike,
  stats: { nodes: NodeProxyStats[]; unreachable: string[] },
): string {
  const key = `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
  const lines = [
    `Service:    ${key} (${svc.spec?.type ?? 'ClusterIP'})`,
    `ClusterIP:  ${svc.spec?.clusterIP ?? '<none>'}`,
  ];
  const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => ip !== '');
  if (ingress.length > 0) lines.push(`Ingress:    ${ingress.join(', ')}`);
  lines.push(`Affinity:   ${svc.spec?.sessionAffinity ?? 'None'}`);
  let served = 0;
  for (const node of stats.nodes) {
    for (const l of node.listeners) {
      served++;
      const total = l.endpoints.reduce((a, e) => a + e.traffic.requests, 0);
      lines.push(
        '',
        `Listener ${l.name} (${listenerKind(l.name)}) on ${l.address}:${l.port}, node ${node.node}`,
        `  data plane ${l.driver} (${node.driver}), ${l.protocol}, algorithm ${l.algorithm}, ` +
          `${l.activeConnections} connections open, ${l.traffic.requests} ${l.protocol === 'http' ? 'requests' : 'connections'}, ${l.traffic.failures} failed`,
      );
      if (l.endpoints.length === 0) {
        lines.push('  no endpoints');
        continue;
      }
      const head = ['ENDPOINT', 'ADDRESS', 'STATE', 'WEIGHT', 'REQUESTS', 'SHARE', 'IN FLIGHT'];
      const table = {
        columnDefinitions: head.map((name) => ({ name, type: 'string' })),
        rows: l.endpoints.map((e) => ({
          cells: [
            e.id,
            `${e.address}:${e.port}`,
            e.state,
            String(e.weight),
            String(e.traffic.requests),
            total === 0 ? '-' : `${((100 * e.traffic.requests) / total).toFixed(1)}%`,
            String(e.active),
          ],
        })),
      };
      lines.push(
        ...new TablePrinter()
          .print(table)
          .trimEnd()
          .split('\n')
          .map((r) => `  ${r}`),
      );
    }
  }
  if (served === 0) lines.push('', 'No node serves it (no service proxy runs, or it has no address).');
  for (const u of stats.unreachable) lines.push(`Not asked: node ${u}`);
  return lines.join('\n') + '\n';
}
