import { flagString, write, type Command, type CommandContext, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';
import type * as Up from '../up.js';

const SERVE_OPTIONS = {
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  store: { type: 'string' },
} as const;

const SERVE_FLAGS = `  --data-dir DIR   where state and the kubeconfig live (default: ./.stratus)
  --port N         the API port (default: 6443; 0 picks a free port)
  --host ADDR      the address to listen on (default: 127.0.0.1)
  --store URL      sqlite:PATH (default, in the data dir) or etcd://host:2379,…`;

/**
 * `stratus server`: the control plane in the foreground. Prints where the API listens and the
 * kubeconfig to use, and on SIGINT or SIGTERM closes everything and exits 0.
 */
export const serverCommand: Command = {
  name: 'server',
  summary: 'Run the control plane (API server) in the foreground',
  usage: `Usage: stratus server [flags]\n\n${SERVE_FLAGS}`,
  options: SERVE_OPTIONS,
  run: (ctx, values, positionals) => serve(ctx, values, positionals, 'server', () => []),
};

/**
 * `stratus up`: the whole one-machine cloud in one process (for now the API server; the node
 * agent and S3 gateway join through UP_COMPONENTS), data in ./.stratus by default.
 */
export const upCommand: Command = {
  name: 'up',
  summary: 'Start a one-machine cloud in the foreground (data in ./.stratus)',
  usage: `Usage: stratus up [flags]\n\n${SERVE_FLAGS}`,
  options: SERVE_OPTIONS,
  run: (ctx, values, positionals) => serve(ctx, values, positionals, 'up', (up) => up.UP_COMPONENTS),
};

async function serve(
  ctx: CommandContext,
  values: FlagValues,
  positionals: string[],
  name: string,
  components: (up: typeof Up) => readonly Up.UpComponent[],
): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`, name);
  const portFlag = flagString(values, 'port');
  const port = portFlag === undefined ? undefined : Number(portFlag);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new UsageError(`--port must be a port number, not "${portFlag}"`, name);
  }
  const signal = ctx.untilSignal();
  const dataDir = flagString(values, 'data-dir');
  const host = flagString(values, 'host');
  const store = flagString(values, 'store');
  // Loaded here, not at the top: other commands should not pay for loading the server.
  const up = await import('../up.js');
  const cloud = await up.startCloud(
    {
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(port === undefined ? {} : { apiPort: port }),
      ...(host === undefined ? {} : { host }),
      ...(store === undefined ? {} : { store }),
    },
    components(up),
  );
  await write(ctx.io.stdout, cloud.lines.join('\n') + '\n');
  const received = await signal;
  await write(ctx.io.stderr, `${received}: shutting down\n`);
  await cloud.close();
  return 0;
}
