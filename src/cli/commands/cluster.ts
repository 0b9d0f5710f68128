import { flagString, write, type Command, type CommandContext, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';
import { formatClusterStatus, type MemberRow } from '../cluster-status.js';
import { resolve } from 'node:path';
import type { EtcdTls } from '../../store/index.js';

const USAGE = `Usage: stratus cluster status [--etcd etcd://HOST:PORT,… | --data-dir DIR]
       stratus cluster leave --data-dir DIR
       stratus cluster remove-member NAME --data-dir DIR

  status: shows the servers (each renews its Lease kube-system/stratus-server-NAME), which
  server holds the controller-manager and scheduler Leases, the etcd members and their health
  (with --etcd or --data-dir), and the agents: each Node's Ready condition, address, when its
  Lease in kube-node-lease was last renewed, its pods and its taints.
  leave: removes the etcd member of the stopped server whose data directory is DIR from its
  cluster (MemberRemove through the other members) and deletes the member's data there; the
  server's Lease then lapses. Start that directory again only with --cluster-init or --join.
  remove-member: removes the etcd member of a dead server (NAME: the member's name, its
  server's name or its hex ID) through the members that a live server's data directory DIR
  knows, as etcdctl member remove; refused while that member answers.
  --etcd URL      an external etcd cluster the servers share (plaintext)
  --data-dir DIR  a server's data directory (--cluster-init/--join): its etcd members over TLS`;

/** `stratus cluster status`: one look at a control plane of several servers. */
export const clusterCommand: Command = {
  name: 'cluster',
  summary: 'Show the servers, lease holders, etcd members and agents (cluster status)',
  usage: USAGE,
  options: { etcd: { type: 'string' }, 'data-dir': { type: 'string' } },
  async run(ctx, values, positionals) {
    const [what, arg, extra] = positionals;
    if (what === 'remove-member') {
      if (arg === undefined || extra !== undefined)
        throw new UsageError('remove-member takes one NAME (the member, or its server)', 'cluster');
      return removeMember(ctx, values, arg);
    }
    if ((what !== 'status' && what !== 'leave') || arg !== undefined)
      throw new UsageError(
        what === undefined
          ? 'name a subcommand: status, leave or remove-member'
          : `unknown argument "${what}"`,
        'cluster',
      );
    if (what === 'leave') return leave(ctx, values);
    return status(ctx, values);
  },
};

async function leave(ctx: CommandContext, values: FlagValues): Promise<number> {
  const dataDir = flagString(values, 'data-dir');
  if (dataDir === undefined)
    throw new UsageError('leave needs --data-dir DIR (the stopped server’s)', 'cluster');
  const { leaveCluster } = await import('../server-cluster.js');
  const left = await leaveCluster(resolve(ctx.io.cwd, dataDir));
  await write(ctx.io.stdout, `removed etcd member ${left.name} (${left.id}) from the cluster\n`);
  return 0;
}

async function removeMember(ctx: CommandContext, values: FlagValues, name: string): Promise<number> {
  const dataDir = flagString(values, 'data-dir');
  if (dataDir === undefined)
    throw new UsageError(
      'remove-member needs --data-dir DIR (a live server’s, of the same cluster)',
      'cluster',
    );
  const { removeClusterMember } = await import('../server-cluster.js');
  const removed = await removeClusterMember(resolve(ctx.io.cwd, dataDir), name);
  await write(ctx.io.stdout, `removed etcd member ${removed.name} (${removed.id}) from the cluster\n`);
  return 0;
}

async function status(ctx: CommandContext, values: FlagValues): Promise<number> {
  const client = ctx.client();
  const [leases, nodes, nodeLeases, pods] = await Promise.all([
    client.list('leases', { namespace: 'kube-system' }),
    client.list('nodes'),
    client.list('leases', { namespace: 'kube-node-lease' }),
    client.list('pods', { allNamespaces: true }),
  ]);
  // Ages are as of the read, not after the etcd calls below (slow on a busy machine).
  const nowMs = Date.now();
  const url = flagString(values, 'etcd');
  const dataDir = flagString(values, 'data-dir');
  let members: MemberRow[] | undefined;
  if (url !== undefined) members = await etcdMembers(await parseUrl(url));
  else if (dataDir !== undefined) {
    const { clusterEndpoints } = await import('../server-cluster.js');
    members = await etcdMembers(await clusterEndpoints(resolve(ctx.io.cwd, dataDir)));
  }
  await write(
    ctx.io.stdout,
    formatClusterStatus({
      leases: leases.items,
      nodes: nodes.items,
      nodeLeases: nodeLeases.items,
      pods: pods.items,
      ...(members === undefined ? {} : { members }),
      nowMs,
    }),
  );
  return 0;
}

async function parseUrl(url: string): Promise<{ addresses: string[] }> {
  const { parseEtcdUrl } = await import('../../store/index.js');
  try {
    return { addresses: parseEtcdUrl(url) };
  } catch (err) {
    throw new UsageError(`--etcd: ${(err as Error).message}`, 'cluster');
  }
}

async function etcdMembers(at: { addresses: string[]; tls?: EtcdTls }): Promise<MemberRow[]> {
  const { openEtcdCluster } = await import('../../store/index.js');
  const etcd = await openEtcdCluster(at.addresses, at.tls !== undefined ? { tls: at.tls } : {});
  try {
    const list = await etcd.memberList();
    const rows = await Promise.all(
      list.map(async (m): Promise<MemberRow & { leaderId?: string }> => {
        const base = {
          name: m.name,
          id: m.ID,
          peerURLs: m.peerURLs,
          clientURLs: m.clientURLs,
          leader: false,
        };
        const address = m.clientURLs[0]?.replace(/^\w+:\/\//, '');
        if (address === undefined) return { ...base, health: 'not started', version: '' };
        try {
          const s = await etcd.status(address);
          const errors = s.errors.length > 0 ? `unhealthy: ${s.errors.join('; ')}` : 'healthy';
          return { ...base, health: errors, version: s.version, leaderId: s.leader };
        } catch (err) {
          return {
            ...base,
            health: `unreachable: ${(err as Error).message.split('\n')[0] ?? ''}`,
            version: '',
          };
        }
      }),
    );
    const leaders = new Set(rows.map((r) => r.leaderId).filter((l) => l !== undefined && l !== '0'));
    return rows.map(({ leaderId: _leader, ...r }) => ({ ...r, leader: leaders.has(r.id) }));
  } finally {
    await etcd.close();
  }
}
