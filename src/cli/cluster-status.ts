import type { KubeObject } from '../common/kube-object.js';

/** One etcd member as `stratus cluster status` shows it. */
export interface MemberRow {
  name: string;
  id: string;
  peerURLs: string[];
  clientURLs: string[];
  /** `healthy`, or why not. */
  health: string;
  version: string;
  /** Whether the cluster's members name this one their raft leader. */
  leader: boolean;
}

/** What `stratus cluster status` prints, gathered by the command. */
export interface ClusterStatusInput {
  /** Leases of kube-system (servers' own and the components'). */
  leases: KubeObject[];
  nodes: KubeObject[];
  /** The nodes' heartbeat Leases (kube-node-lease); default none. */
  nodeLeases?: KubeObject[];
  /** Pods, counted per node (those not finished); default none (the column then reads `-`). */
  pods?: KubeObject[];
  /** Undefined when etcd was not asked (no `--etcd`). */
  members?: MemberRow[];
  nowMs: number;
}

/** The component Leases whose holder acts, in the order they are printed. */
export const COMPONENT_LEASES = ['stratus-controller-manager', 'stratus-scheduler'];
const SERVER_PREFIX = 'stratus-server-';

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  renewTime?: string;
  leaseTransitions?: number;
}

const spec = (l: KubeObject): LeaseSpec => l['spec'] ?? {};

/** Whether a Lease was renewed within its duration at `nowMs`. */
export function leaseLive(lease: KubeObject, nowMs: number): boolean {
  const s = spec(lease);
  const renewed = Date.parse(s.renewTime ?? '');
  return (
    s.holderIdentity !== undefined &&
    s.holderIdentity !== '' &&
    renewed + (s.leaseDurationSeconds ?? 0) * 1000 > nowMs
  );
}

function ago(time: string | undefined, nowMs: number): string {
  const ms = nowMs - Date.parse(time ?? '');
  return Number.isFinite(ms) ? `${Math.max(0, Math.round(ms / 1000))}s ago` : '<never>';
}

/** Left-aligned columns three spaces apart, as kubectl prints tables. */
export function columns(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   '))
    .join('\n');
}

/**
 * The report: servers (their own Leases, live or expired), who holds each component Lease, the
 * etcd members and their health, and the agents (Nodes with their Ready condition). Pure, so
 * the dashboard could render the same thing.
 */
export function formatClusterStatus(input: ClusterStatusInput): string {
  const { leases, members, nowMs } = input;
  const byName = new Map(leases.map((l) => [l.metadata.name ?? '', l]));
  const servers = leases
    .filter((l) => (l.metadata.name ?? '').startsWith(SERVER_PREFIX))
    .map((l) => [
      (l.metadata.name ?? '').slice(SERVER_PREFIX.length),
      leaseLive(l, nowMs) ? 'Alive' : 'Gone',
      ago(spec(l).renewTime, nowMs),
    ]);
  const components = COMPONENT_LEASES.map((name) => {
    const l = byName.get(name);
    if (l === undefined) return [name, '<none>', '-', '-', '-'];
    const s = spec(l);
    return [
      name,
      s.holderIdentity || '<none>',
      leaseLive(l, nowMs) ? 'yes' : 'expired',
      String(s.leaseTransitions ?? 0),
      ago(s.renewTime, nowMs),
    ];
  });
  const out = [
    'SERVERS',
    columns([['NAME', 'STATUS', 'RENEWED'], ...servers]),
    '',
    'LEASES',
    columns([['LEASE', 'HOLDER', 'VALID', 'TRANSITIONS', 'RENEWED'], ...components]),
    '',
    'ETCD MEMBERS',
    members === undefined
      ? '(not asked: pass --etcd etcd://HOST:PORT,… to list them)'
      : columns([
          ['NAME', 'ID', 'HEALTH', 'LEADER', 'VERSION', 'CLIENT URLS', 'PEER URLS'],
          ...members.map((m) => [
            m.name || '<unstarted>',
            BigInt(m.id).toString(16),
            m.health,
            m.leader ? 'yes' : 'no',
            m.version || '-',
            m.clientURLs.join(','),
            m.peerURLs.join(','),
          ]),
        ]),
    '',
    'AGENTS',
    columns([['NODE', 'READY', 'ADDRESS', 'HEARTBEAT', 'PODS', 'TAINTS'], ...agentRows(input)]),
  ];
  return out.join('\n') + '\n';
}

interface NodeStatusLike {
  conditions?: Array<{ type: string; status: string }>;
  addresses?: Array<{ type: string; address: string }>;
}

/**
 * One row per node: its Ready condition (True, or Unknown once the lifecycle controller saw no
 * renewal of its Lease for the node monitor grace period), InternalIP, how long ago its Lease in
 * kube-node-lease was renewed, the pods bound to it that have not finished, and its taints: what a failover looks
 * like from here (the dead node Unknown and tainted, its pods moving to the others).
 */
function agentRows(input: ClusterStatusInput): string[][] {
  const leases = new Map((input.nodeLeases ?? []).map((l) => [l.metadata.name ?? '', l]));
  const pods = new Map<string, number>();
  for (const p of input.pods ?? []) {
    const node = (p['spec'] as { nodeName?: string } | undefined)?.nodeName ?? '';
    const phase = (p['status'] as { phase?: string } | undefined)?.phase;
    if (node === '' || phase === 'Succeeded' || phase === 'Failed') continue;
    pods.set(node, (pods.get(node) ?? 0) + 1);
  }
  return input.nodes.map((n) => {
    const name = n.metadata.name ?? '';
    const status = (n['status'] ?? {}) as NodeStatusLike;
    const lease = leases.get(name);
    // The server's node monitor grace period, not the Lease's duration, decides when a node is
    // NotReady (as in Kubernetes), and the READY column shows that verdict: here only the age.
    const heartbeat = lease === undefined ? '<none>' : ago(spec(lease).renewTime, input.nowMs);
    const taints = (
      (n['spec'] as { taints?: Array<{ key: string; effect: string }> } | undefined)?.taints ?? []
    )
      .map((t) => `${t.key}:${t.effect}`)
      .join(',');
    return [
      name,
      status.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown',
      status.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '<none>',
      heartbeat,
      input.pods === undefined ? '-' : String(pods.get(name) ?? 0),
      taints || '<none>',
    ];
  });
}
