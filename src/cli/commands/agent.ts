import { KubeClient } from '../../client/index.js';
import { flagString, write, type Command, type CommandContext, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';
import { durationFlag } from './duration-flag.js';
import { SERVICE_PROXY_USAGE, serviceProxyFlag } from './service-proxy-flag.js';

const OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  'data-dir': { type: 'string' },
  'node-name': { type: 'string' },
  'agent-port': { type: 'string' },
  cpu: { type: 'string' },
  memory: { type: 'string' },
  'max-pods': { type: 'string' },
  'insecure-skip-tls-verify': { type: 'boolean' },
  simulate: { type: 'string' },
  'node-status-update-frequency': { type: 'string' },
  'service-proxy': { type: 'string' },
} as const;

function positiveNumber(values: FlagValues, flag: string, integer: boolean): number | undefined {
  const text = flagString(values, flag);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${flag} must be a positive ${integer ? 'whole ' : ''}number, not "${text}"`,
      'agent',
    );
  }
  return n;
}

/** The client from --server/--token (owned: the caller closes it), else the kubeconfig's (closed by the CLI). */
function clientFor(ctx: CommandContext, values: FlagValues): { client: KubeClient; owned: boolean } {
  const server = flagString(values, 'server');
  const token = flagString(values, 'token');
  if (server === undefined && token === undefined) return { client: ctx.client(), owned: false };
  if (server === undefined || token === undefined) {
    throw new UsageError('--server and --token go together (or use --kubeconfig)', 'agent');
  }
  const client = new KubeClient({
    server: server.replace(/\/$/, ''),
    token,
    namespace: 'default',
    contextName: 'agent',
    ...(values['insecure-skip-tls-verify'] === true ? { insecureSkipTlsVerify: true } : {}),
  });
  return { client, owned: true };
}

/**
 * `stratus agent`: one node in the foreground. It registers the node with the API server named by
 * `--server`/`--token` (or the kubeconfig), runs the pods bound to it, and on SIGINT/SIGTERM
 * stops cleanly, leaving the pods' processes for the next agent on the same data dir to adopt.
 */
export const agentCommand: Command = {
  name: 'agent',
  summary: 'Run a node agent (runs the pods bound to this node) in the foreground',
  usage: `Usage: stratus agent --server URL --token TOKEN [flags]

  --server URL       the API server (or use --kubeconfig)
  --token TOKEN      a bearer token for it (a node or admin token)
  --data-dir DIR     where pods' processes, logs and volumes live (default: ./.stratus/agent)
  --node-name NAME   the Node's name (default: the host name)
  --agent-port N     the log endpoint's port on 127.0.0.1 (default: a free port)
  --cpu N            cores to advertise (default: all)
  --memory Q         memory to advertise, a quantity such as 4Gi (default: all)
  --max-pods N       pods this node takes (default: 110)
  --node-status-update-frequency DURATION
                     how often the node renews its Lease and posts its status
                     (default: 10s); keep it well under the server's
                     --node-monitor-grace-period
  --insecure-skip-tls-verify  do not check the server's certificate (https URLs;
                     a plain http:// URL on loopback needs no certificate)
  --simulate N       register N simulated nodes that report their pods Running without
                     starting processes (as kwok does), for testing at scale
${SERVICE_PROXY_USAGE}`,
  options: OPTIONS,
  run: async (ctx, values, positionals) => {
    if (positionals.length > 0)
      throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`, 'agent');
    const cpu = positiveNumber(values, 'cpu', false);
    const maxPods = positiveNumber(values, 'max-pods', true);
    const portText = flagString(values, 'agent-port');
    const agentPort = portText === undefined ? 0 : Number(portText);
    if (!(Number.isInteger(agentPort) && agentPort >= 0 && agentPort < 65536)) {
      throw new UsageError(`--agent-port must be a port number, not "${portText ?? ''}"`, 'agent');
    }
    const memory = flagString(values, 'memory');
    const nodeName = flagString(values, 'node-name');
    const simulate = positiveNumber(values, 'simulate', true);
    const leaseIntervalMs = durationFlag(values, 'node-status-update-frequency', { command: 'agent' });
    const serviceProxy = serviceProxyFlag(values, 'agent') ?? 'node';
    const { client, owned } = clientFor(ctx, values);
    const signal = ctx.untilSignal();
    if (simulate !== undefined) return simulateNodes(ctx, client, owned, simulate, signal);
    const { Agent } = await import('../../agent/index.js');
    const agent = await Agent.start({
      client,
      dataDir: flagString(values, 'data-dir') ?? '.stratus/agent',
      agentPort,
      ...(nodeName !== undefined ? { nodeName } : {}),
      ...(cpu !== undefined ? { cpu } : {}),
      ...(memory !== undefined ? { memory } : {}),
      ...(maxPods !== undefined ? { maxPods } : {}),
      ...(leaseIntervalMs !== undefined ? { leaseIntervalMs } : {}),
      ...(serviceProxy === 'none' ? {} : { serviceProxy: { l7: serviceProxy } }),
      onError: (err) => ctx.io.stderr.write(`agent: ${(err as Error).message}\n`),
    });
    await write(
      ctx.io.stdout,
      `node ${agent.nodeName} registered; log endpoint on 127.0.0.1:${agent.agentPort}; service proxy: ${agent.serviceProxy?.dataPlane.driver ?? 'none'}\n`,
    );
    const received = await signal;
    await write(ctx.io.stderr, `${received}: shutting down\n`);
    await agent.close();
    if (owned) await client.close();
    return 0;
  },
};

/** `--simulate N`: N kwok-style nodes until a signal comes. */
async function simulateNodes(
  ctx: CommandContext,
  client: KubeClient,
  owned: boolean,
  count: number,
  signal: Promise<string>,
): Promise<number> {
  const { startSimulatedNodes } = await import('../../agent/index.js');
  const nodes = await startSimulatedNodes({ client, count });
  await write(
    ctx.io.stdout,
    `${nodes.nodes.length} simulated nodes registered (${nodes.nodes[0] ?? ''} …)\n`,
  );
  const received = await signal;
  await write(ctx.io.stderr, `${received}: shutting down\n`);
  await nodes.close();
  if (owned) await client.close();
  return 0;
}
