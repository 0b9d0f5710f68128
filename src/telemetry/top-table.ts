import type { KubeObject } from '../common/kube-object.js';
import { parseQuantity } from '../common/quantity.js';

/** Rows of text cells under upper-case headers: what `kubectl top` prints. */
export interface TopTable {
  headers: string[];
  rows: string[][];
}

interface Usage {
  cpu?: string;
  memory?: string;
}

/** kubectl's `MilliValue()`: rounded up, so a busy trickle never shows as 0m. */
const milli = (cores: number): number => Math.ceil(cores * 1000 - 1e-6);
const cpuOf = (u: Usage | undefined): number => parseQuantity(u?.cpu ?? '0') ?? 0;
const memOf = (u: Usage | undefined): number => parseQuantity(u?.memory ?? '0') ?? 0;
const cpuCell = (cores: number): string => `${milli(cores)}m`;
const memCell = (bytes: number): string => `${Math.floor(bytes / (1024 * 1024))}Mi`;
const name = (o: KubeObject): string => ((o['metadata'] ?? {}) as { name?: string }).name ?? '';
const namespace = (o: KubeObject): string =>
  ((o['metadata'] ?? {}) as { namespace?: string }).namespace ?? '';

/**
 * `kubectl top nodes`: each NodeMetrics with its usage as a share of the node's allocatable
 * (kubectl's default; `capacity` uses the capacity instead, as `--show-capacity`). A node the
 * metrics name but `nodes` does not hold is left out; percentages round down, as kubectl's.
 */
export function topNodesTable(metrics: KubeObject[], nodes: KubeObject[], capacity = false): TopTable {
  const byName = new Map(nodes.map((n) => [name(n), n]));
  const rows = metrics.flatMap((m) => {
    const node = byName.get(name(m));
    if (node === undefined) return [];
    const status = (node['status'] ?? {}) as { allocatable?: Usage; capacity?: Usage };
    const total = (capacity ? status.capacity : status.allocatable) ?? {};
    const usage = m['usage'] as Usage | undefined;
    const pct = (used: number, of: number): string =>
      of > 0 ? `${Math.floor((used * 100) / of)}%` : '<unknown>';
    return [
      [
        name(m),
        cpuCell(cpuOf(usage)),
        pct(milli(cpuOf(usage)), milli(cpuOf(total))),
        memCell(memOf(usage)),
        pct(memOf(usage), memOf(total)),
      ],
    ];
  });
  return { headers: ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'], rows };
}

/**
 * `kubectl top pods`: a row per pod with its containers' sums, or per container with
 * `containers`; a NAMESPACE column first with `allNamespaces`.
 */
export function topPodsTable(
  metrics: KubeObject[],
  options: { containers?: boolean; allNamespaces?: boolean } = {},
): TopTable {
  const ns = options.allNamespaces === true ? ['NAMESPACE'] : [];
  const rows: string[][] = [];
  for (const m of metrics) {
    const first = options.allNamespaces === true ? [namespace(m)] : [];
    const containers = (m['containers'] ?? []) as { name?: string; usage?: Usage }[];
    if (options.containers === true) {
      for (const c of containers)
        rows.push([...first, name(m), c.name ?? '', cpuCell(cpuOf(c.usage)), memCell(memOf(c.usage))]);
      continue;
    }
    const cpu = containers.reduce((s, c) => s + cpuOf(c.usage), 0);
    const mem = containers.reduce((s, c) => s + memOf(c.usage), 0);
    rows.push([...first, name(m), cpuCell(cpu), memCell(mem)]);
  }
  const headers = options.containers === true ? ['POD', 'NAME'] : ['NAME'];
  return { headers: [...ns, ...headers, 'CPU(cores)', 'MEMORY(bytes)'], rows };
}
