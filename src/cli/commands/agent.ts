import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { KubeClient } from '../../client/index.js';
import { joinCluster, NODE_KUBECONFIG, type NodeSession } from '../agent-join.js';
import { flagString, write, type Command, type CommandContext, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';
import { agentEndpointTls, detectNodeIP, parseNodeIP } from '../node-ip.js';
import { durationFlag } from './duration-flag.js';
import { RUNTIME_OPTIONS, RUNTIME_USAGE, defaultRuntimeFlag } from './runtime-flag.js';
import {
  defaultL7Driver,
  SERVICE_PROXY_OPTIONS,
  SERVICE_PROXY_USAGE,
  serviceProxyFlags,
} from './service-proxy-flag.js';

const OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  'ca-cert-hash': { type: 'string' },
  'data-dir': { type: 'string' },
  'node-name': { type: 'string' },
  'agent-port': { type: 'string' },
  'node-ip': { type: 'string' },
  cpu: { type: 'string' },
  memory: { type: 'string' },
  'max-pods': { type: 'string' },
  'insecure-skip-tls-verify': { type: 'boolean' },
  simulate: { type: 'string' },
  'node-status-update-frequency': { type: 'string' },
  'metric-resolution': { type: 'string' },
  'streaming-connection-idle-timeout': { type: 'string' },
  ...SERVICE_PROXY_OPTIONS,
  ...RUNTIME_OPTIONS,
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

/**
 * The agent's session: its node credential (stored in the data dir, or got by joining with
 * `--server`/`--token`), or, with neither flag nor a stored credential, the kubeconfig's client
 * (closed by the CLI).
 */
async function sessionFor(
  ctx: CommandContext,
  values: FlagValues,
  dataDir: string,
  nodeName: string,
): Promise<{ session: NodeSession; owned: boolean }> {
  const server = flagString(values, 'server');
  const token = flagString(values, 'token');
  const stored = existsSync(join(dataDir, NODE_KUBECONFIG));
  if (server === undefined && token === undefined && !stored)
    return { session: { client: ctx.client(), renewIfDue: () => Promise.resolve() }, owned: false };
  if ((server === undefined) !== (token === undefined) && !stored) {
    throw new UsageError('--server and --token go together (or use --kubeconfig)', 'agent');
  }
  const hash = flagString(values, 'ca-cert-hash');
  if (hash !== undefined && !/^sha256:[0-9a-f]{64}$/.test(hash))
    throw new UsageError(`--ca-cert-hash must be sha256: and 64 hex digits, not "${hash}"`, 'agent');
  const session = await joinCluster({
    dataDir,
    nodeName,
    ...(server !== undefined ? { server } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(hash !== undefined ? { caCertHash: hash } : {}),
    insecureSkipTlsVerify: values['insecure-skip-tls-verify'] === true,
    warn: (message) => ctx.io.stderr.write(`agent: warning: ${message}\n`),
  });
  return { session, owned: true };
}

/**
 * `stratus agent`: one node in the foreground. It registers the node with the API server named by
 * `--server`/`--token` (or the kubeconfig), runs the pods bound to it, and on SIGINT/SIGTERM
 * stops cleanly, leaving the pods' processes for the next agent on the same data dir to adopt.
 */
export const agentCommand: Command = {
  name: 'agent',
  summary: 'Run a node agent (runs the pods bound to this node) in the foreground',
  usage: `Usage: stratus agent --server URL --token JOIN-TOKEN [--ca-cert-hash sha256:HASH] [flags]

  --server URL       the API server
  --token TOKEN      a join token (stratus token create --join prints the whole command); the
                     agent then gets its own node credential and keeps it in its data dir, so
                     later starts need neither flag
  --ca-cert-hash sha256:HASH
                     the cluster CA's public key hash: the agent trusts the server only if its
                     certificate chain holds that CA (https URLs)
  --data-dir DIR     where the node credential, pods' processes, logs and volumes live
                     (default: ./.stratus/agent)
  --node-name NAME   the Node's name (default: the host name)
  --node-ip ADDR     this node's address: its InternalIP, the pods' host IP, where the
                     log endpoint and NodePorts listen (default: the address this host
                     reaches the server from; 127.0.0.1 for a server on loopback)
  --agent-port N     the log endpoint's port on the node's address (default: a free port)
  --cpu N            cores to advertise (default: all)
  --memory Q         memory to advertise, a quantity such as 4Gi (default: all)
  --max-pods N       pods this node takes (default: 110)
  --node-status-update-frequency DURATION
                     how often the node renews its Lease and posts its status
                     (default: 10s); keep it well under the server's
                     --node-monitor-grace-period
  --metric-resolution DURATION
                     how often pods' and the node's CPU and memory are sampled for
                     kubectl top (default: 15s; 0 turns sampling off)
  --streaming-connection-idle-timeout DURATION
                     close an exec, attach or port-forward session silent this long
                     (default: 4h, as kubelet)
  --insecure-skip-tls-verify  do not check the server's certificate (https URLs;
                     a plain http:// URL on loopback needs no certificate)
  --simulate N       register N simulated nodes that report their pods Running without
                     starting processes (as kwok does), for testing at scale
${SERVICE_PROXY_USAGE}
${RUNTIME_USAGE}`,
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
    const nodeIPText = flagString(values, 'node-ip');
    const givenNodeIP = nodeIPText === undefined ? undefined : parseNodeIP(nodeIPText);
    const memory = flagString(values, 'memory');
    const nodeName = flagString(values, 'node-name');
    const simulate = positiveNumber(values, 'simulate', true);
    const leaseIntervalMs = durationFlag(values, 'node-status-update-frequency', { command: 'agent' });
    const metricsIntervalMs = durationFlag(values, 'metric-resolution', { command: 'agent', min: 0 });
    const idleTimeoutMs = durationFlag(values, 'streaming-connection-idle-timeout', { command: 'agent' });
    const dataDir = resolve(ctx.io.cwd, flagString(values, 'data-dir') ?? '.stratus/agent');
    const serviceProxy = serviceProxyFlags(values, 'agent');
    const defaultRuntime = defaultRuntimeFlag(values, 'agent');
    const signal = ctx.untilSignal();
    if (simulate !== undefined) return simulateNodes(ctx, values, simulate, signal);
    const { session, owned } = await sessionFor(ctx, values, dataDir, nodeName ?? hostname().toLowerCase());
    const client = session.client;
    await session.renewIfDue();
    const renewal = setInterval(
      () =>
        void session
          .renewIfDue()
          .catch((err: Error) =>
            ctx.io.stderr.write(`agent: renewing the node credential: ${err.message}\n`),
          ),
      86_400_000,
    );
    renewal.unref();
    const nodeIP = givenNodeIP ?? (await detectNodeIP(client.config.server));
    const endpointTls = agentEndpointTls(nodeName ?? hostname().toLowerCase(), nodeIP);
    const { Agent } = await import('../../agent/index.js');
    if (serviceProxy !== undefined && serviceProxy.l7 === undefined) {
      const chosen = await defaultL7Driver();
      if (chosen.notice !== undefined) await write(ctx.io.stderr, `agent: ${chosen.notice}\n`);
      serviceProxy.l7 = chosen.l7;
    }
    const agent = await Agent.start({
      client,
      dataDir,
      agentPort,
      nodeIP,
      ...(endpointTls !== undefined ? { endpointTls } : {}),
      ...(nodeName !== undefined ? { nodeName } : {}),
      ...(cpu !== undefined ? { cpu } : {}),
      ...(memory !== undefined ? { memory } : {}),
      ...(maxPods !== undefined ? { maxPods } : {}),
      ...(leaseIntervalMs !== undefined ? { leaseIntervalMs } : {}),
      ...(metricsIntervalMs !== undefined ? { metricsIntervalMs } : {}),
      ...(idleTimeoutMs !== undefined ? { streamLimits: { idleTimeoutMs } } : {}),
      ...(serviceProxy?.l7 === undefined
        ? {}
        : { serviceProxy: { l7: serviceProxy.l7, l4: serviceProxy.l4 } }),
      ...(defaultRuntime === undefined ? {} : { defaultRuntime }),
      ...(defaultRuntime === 'runc' ? { podNetwork: {} } : {}),
      onError: (err) => ctx.io.stderr.write(`agent: ${(err as Error).message}\n`),
    });
    await write(
      ctx.io.stdout,
      `node ${agent.nodeName} registered; runtimes: ${agent.runtimeNames.join(', ')}; address ${agent.nodeIP}; log endpoint on ${agent.nodeIP.includes(':') ? `[${agent.nodeIP}]` : agent.nodeIP}:${agent.agentPort}; service proxy: ${agent.serviceProxy?.dataPlane.driver ?? 'none'}\n`,
    );
    const received = await signal;
    await write(ctx.io.stderr, `${received}: shutting down\n`);
    clearInterval(renewal);
    await agent.close();
    if (owned) await client.close();
    return 0;
  },
};

/** `--simulate N`: N kwok-style nodes until a signal comes. */
async function simulateNodes(
  ctx: CommandContext,
  values: FlagValues,
  count: number,
  signal: Promise<string>,
): Promise<number> {
  const { startSimulatedNodes } = await import('../../agent/index.js');
  const server = flagString(values, 'server');
  const token = flagString(values, 'token');
  if ((server === undefined) !== (token === undefined))
    throw new UsageError('--server and --token go together (or use --kubeconfig)', 'agent');
  const hash = flagString(values, 'ca-cert-hash');
  // With a join token each simulated node joins and acts with its own node credential.
  const nodes = await startSimulatedNodes({
    count,
    ...(server !== undefined && token !== undefined
      ? {
          clientFor: async (nodeName: string): Promise<KubeClient> =>
            (
              await joinCluster({
                dataDir: join(
                  resolve(ctx.io.cwd, flagString(values, 'data-dir') ?? '.stratus/agent'),
                  'simulated',
                  nodeName,
                ),
                nodeName,
                server,
                token,
                ...(hash !== undefined ? { caCertHash: hash } : {}),
                insecureSkipTlsVerify: values['insecure-skip-tls-verify'] === true,
                warn: (message) => ctx.io.stderr.write(`agent: warning: ${message}\n`),
              })
            ).client,
        }
      : { client: ctx.client() }),
  });
  await write(
    ctx.io.stdout,
    `${nodes.nodes.length} simulated nodes registered (${nodes.nodes[0] ?? ''} …)\n`,
  );
  const received = await signal;
  await write(ctx.io.stderr, `${received}: shutting down\n`);
  await nodes.close();
  return 0;
}
