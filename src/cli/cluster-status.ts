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
  const { leases, nodes, members, nowMs } = input;
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
    columns([
      ['NODE', 'READY'],
      ...nodes.map((n) => {
        const conditions = ((
          n['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined
        )?.conditions ?? []) as Array<{ type: string; status: string }>;
        return [n.metadata.name ?? '', conditions.find((c) => c.type === 'Ready')?.status ?? 'Unknown'];
      }),
    ]),
  ];
  return out.join('\n') + '\n';
}
