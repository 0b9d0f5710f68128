/**
 * The kernel L4 path as kube-proxy's nftables mode builds it: one table of Stratus' own with a
 * verdict map from (address, protocol, port) to a chain per listener, which picks an endpoint
 * chain (`numgen inc` for round robin, ranges of it for weights, `jhash` of the client address
 * for source hashing; ClientIP affinity through a dynamic set per endpoint, checked first) that
 * counts the connection and DNATs it. Every apply replaces the whole table in one `nft -f`
 * transaction, so the kernel never sees half a configuration. Pure: no I/O.
 */
import type { Endpoint, Listener } from '../proxy-config.js';

/** The algorithms the kernel path does; the others (least connections, …) stay in userspace. */
const KERNEL_ALGORITHMS = new Set(['round-robin', 'weighted-round-robin', 'source-hash']);
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Whether the kernel path can serve a listener exactly as the userspace one would: TCP or UDP
 * on IPv4 and a fixed port, an algorithm above, no active or passive health checks, no
 * connection limit.
 */
export function kernelCapable(l: Listener): boolean {
  return (
    l.protocol !== 'http' &&
    l.port > 0 &&
    KERNEL_ALGORITHMS.has(l.algorithm) &&
    l.healthCheck === undefined &&
    l.passiveHealth === undefined &&
    l.maxConnectionsPerEndpoint === 0 &&
    IPV4.test(l.address) &&
    l.endpoints.every((e) => IPV4.test(e.address))
  );
}

/**
 * The endpoints new connections may go to: ready ones with a weight, or, when none is ready,
 * those still serving while terminating (kube-proxy's fallback), so a rollout never refuses.
 */
export function kernelEndpoints(l: Listener): Endpoint[] {
  const weighted = (e: Endpoint): boolean => e.weight > 0 || l.algorithm !== 'weighted-round-robin';
  const ready = l.endpoints.filter((e) => e.ready && weighted(e));
  return ready.length > 0 ? ready : l.endpoints.filter((e) => e.serving && e.terminating && weighted(e));
}

/** Which listener and endpoint an endpoint chain stands for (to read its counter back). */
export interface ChainOwner {
  listener: string;
  endpoint: string;
}

/** The script for `nft -f` and what each endpoint chain stands for. */
export interface Ruleset {
  script: string;
  chains: Map<string, ChainOwner>;
}

/** `numgen`/`jhash` values 0…total-1 split into one range per endpoint by weight. */
function picks(l: Listener, eps: Endpoint[], chain: (j: number) => string): string {
  const weights = eps.map((e) => (l.algorithm === 'weighted-round-robin' ? e.weight : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let from = 0;
  const entries = weights.map((w, j) => {
    const range = w === 1 ? `${from}` : `${from}-${from + w - 1}`;
    from += w;
    return `${range} : goto ${chain(j)}`;
  });
  const chooser = l.algorithm === 'source-hash' ? 'jhash ip saddr' : 'numgen inc';
  return `${chooser} mod ${total} vmap { ${entries.join(', ')} }`;
}

/** The whole table for `listeners` (those with no endpoint to send to are left out: refused). */
export function nftRuleset(table: string, listeners: readonly Listener[]): Ruleset {
  const chains = new Map<string, ChainOwner>();
  const elements: string[] = [];
  const sets: string[] = [];
  const endpointChains: string[] = [];
  const serviceChains: string[] = [];
  const chain = (name: string, rules: string[]): string[] => [
    `chain ${name} {`,
    ...rules.map((r) => `  ${r}`),
    '}',
  ];
  listeners.forEach((l, i) => {
    const eps = kernelEndpoints(l);
    if (eps.length === 0) return;
    const ep = (j: number): string => `ep-${i}-${j}`;
    const aff = (j: number): string => `aff-${i}-${j}`;
    const affinity = l.persistence?.type === 'source' ? Math.ceil(l.persistence.timeoutMs / 1000) : 0;
    const choose: string[] = [];
    eps.forEach((e, j) => {
      chains.set(ep(j), { listener: l.name, endpoint: e.id });
      const dnat = `meta l4proto ${l.protocol} dnat to ${e.address}:${e.port}`;
      if (affinity > 0) {
        sets.push(`set ${aff(j)} { type ipv4_addr; flags dynamic,timeout; timeout ${affinity}s; }`);
        choose.push(`ip saddr @${aff(j)} goto ${ep(j)}`);
        endpointChains.push(...chain(ep(j), ['counter', `update @${aff(j)} { ip saddr }`, dnat]));
      } else {
        endpointChains.push(...chain(ep(j), ['counter', dnat]));
      }
    });
    serviceChains.push(...chain(`svc-${i}`, [...choose, picks(l, eps, ep)]));
    elements.push(`${l.address} . ${l.protocol} . ${l.port} : goto svc-${i}`);
  });
  const map = [
    'map services {',
    '  type ipv4_addr . inet_proto . inet_service : verdict',
    ...(elements.length === 0 ? [] : [`  elements = { ${elements.join(', ')} }`]),
    '}',
  ];
  const hook = (name: string, hookName: string): string[] =>
    chain(name, [
      `type nat hook ${hookName} priority -100; policy accept;`,
      'ip daddr . meta l4proto . th dport vmap @services',
    ]);
  // Everything is defined before it is referenced: sets, endpoint chains, service chains, the
  // map, the hooks.
  const lines = [
    ...sets,
    ...endpointChains,
    ...serviceChains,
    ...map,
    ...hook('nat-output', 'output'),
    ...hook('nat-prerouting', 'prerouting'),
  ];
  const script = [
    // Create-if-missing, then delete and define: one transaction, whatever was there before.
    `table ip ${table} {}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    `  ${ownerComment()}`,
    ...lines.map((line) => `  ${line}`),
    '}',
    '',
  ].join('\n');
  return { script, chains };
}

/**
 * The comment that names the process keeping a table: `stratus up --cleanup` removes a table
 * only when that process is gone, so it never takes one from an agent that still runs.
 */
export function ownerComment(pid: number = process.pid): string {
  return `comment "stratus pid ${pid}"`;
}

/** The pid in a table listing's owner comment; undefined when it has none. */
export function tableOwner(listing: string): number | undefined {
  const m = /^\s*comment "stratus pid (\d+)"$/m.exec(listing);
  return m ? Number(m[1]) : undefined;
}

/** A table name from a node name: nft identifiers are letters, digits, `_` and `-`. */
export function tableName(nodeName: string): string {
  return `stratus-${nodeName.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 200);
}
