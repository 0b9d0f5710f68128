import { flagString, write, type Command, type CommandContext, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';
import { formatClusterStatus, type MemberRow } from '../cluster-status.js';

const USAGE = `Usage: stratus cluster status [--etcd etcd://HOST:PORT,…]

  Shows the servers (each renews its Lease kube-system/stratus-server-NAME), which server holds
  the controller-manager and scheduler Leases, the etcd members and their health (with --etcd),
  and the agents (Nodes and their Ready condition).
  --etcd URL   the etcd cluster the servers share, to list its members and ask each its status`;

/** `stratus cluster status`: one look at a control plane of several servers. */
export const clusterCommand: Command = {
  name: 'cluster',
  summary: 'Show the servers, lease holders, etcd members and agents (cluster status)',
  usage: USAGE,
  options: { etcd: { type: 'string' } },
  async run(ctx, values, positionals) {
    const [what, extra] = positionals;
    if (what !== 'status' || extra !== undefined)
      throw new UsageError(
        what === undefined ? 'name a subcommand: status' : `unknown argument "${what}"`,
        'cluster',
      );
    return status(ctx, values);
  },
};

async function status(ctx: CommandContext, values: FlagValues): Promise<number> {
  const client = ctx.client();
  const [leases, nodes] = await Promise.all([
    client.list('leases', { namespace: 'kube-system' }),
    client.list('nodes'),
  ]);
  const url = flagString(values, 'etcd');
  const members = url === undefined ? undefined : await etcdMembers(url);
  await write(
    ctx.io.stdout,
    formatClusterStatus({
      leases: leases.items,
      nodes: nodes.items,
      ...(members === undefined ? {} : { members }),
      nowMs: Date.now(),
    }),
  );
  return 0;
}

async function etcdMembers(url: string): Promise<MemberRow[]> {
  const { openEtcdCluster, parseEtcdUrl } = await import('../../store/index.js');
  let addresses: string[];
  try {
    addresses = parseEtcdUrl(url);
  } catch (err) {
    throw new UsageError(`--etcd: ${(err as Error).message}`, 'cluster');
  }
  const etcd = await openEtcdCluster(addresses);
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
