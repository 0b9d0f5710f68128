import { parseArgs } from 'node:util';
import { KubeClient, defaultKubeconfigPath } from '../client/index.js';
import { write, type CliIo, type Command, type CommandContext, type FlagValues } from './command.js';
import { agentCommand } from './commands/agent.js';
import { applyCommand } from './commands/apply.js';
import { deleteCommand } from './commands/delete.js';
import { describeCommand } from './commands/describe.js';
import { explainCommand } from './commands/explain.js';
import { getCommand } from './commands/get.js';
import { imageCommand } from './commands/image.js';
import { kubeconfigCommand } from './commands/kubeconfig.js';
import { planCommand } from './commands/plan.js';
import { s3Command } from './commands/s3.js';
import { secretsCommand } from './commands/secrets.js';
import { serverCommand, upCommand } from './commands/server.js';
import { storageCommand } from './commands/storage.js';
import { tokenCommand } from './commands/token.js';
import { topCommand } from './commands/top.js';
import { clusterCommand } from './commands/cluster.js';
import { usageCommand } from './commands/usage.js';
import { smoothnessCommand } from './commands/smoothness.js';
import { userCommand } from './commands/user.js';

import { UsageError } from './errors.js';
import { formatError } from './format-error.js';

/** Every command, in the order `stratus --help` lists them. */
export const COMMANDS: readonly Command[] = [
  upCommand,
  serverCommand,
  agentCommand,
  applyCommand,
  planCommand,
  getCommand,
  topCommand,
  clusterCommand,
  usageCommand,
  smoothnessCommand,
  describeCommand,
  deleteCommand,
  kubeconfigCommand,
  userCommand,
  tokenCommand,
  secretsCommand,
  s3Command,
  storageCommand,
  imageCommand,
  explainCommand,
];

const GLOBAL_OPTIONS = {
  kubeconfig: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
} as const;

const GLOBAL_HELP = `Global flags:
  --kubeconfig PATH    the kubeconfig to use (default: $KUBECONFIG, ./.stratus/kubeconfig, ~/.kube/config)
  -n, --namespace NS   the namespace (default: the kubeconfig context's, else "default")
  -h, --help           show help
`;

/**
 * Runs one command line (without `node` and the script) against the given streams and returns
 * the exit code. Errors become one line on stderr, as kubectl prints them, and exit code 1.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const index = commandIndex(argv);
  const name = index < 0 ? undefined : argv[index];
  const rest = index < 0 ? [...argv] : [...argv.slice(0, index), ...argv.slice(index + 1)];
  try {
    if (name === undefined || name === 'help') return await help(io, name === 'help' ? rest : [], rest);
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command "${name}" for "stratus"`);
    const { values, positionals } = parse(command, rest);
    if (values['help'] === true) {
      await write(io.stdout, commandHelp(command));
      return 0;
    }
    return await runCommand(command, io, values, positionals);
  } catch (err) {
    await write(io.stderr, formatError(err));
    return 1;
  }
}

async function runCommand(
  command: Command,
  io: CliIo,
  values: FlagValues,
  positionals: string[],
): Promise<number> {
  let client: KubeClient | undefined;
  const globals = {
    ...(typeof values['kubeconfig'] === 'string' ? { kubeconfig: values['kubeconfig'] } : {}),
    ...(typeof values['namespace'] === 'string' ? { namespace: values['namespace'] } : {}),
  };
  const ctx: CommandContext = {
    io,
    globals,
    client: () => {
      client ??= KubeClient.fromKubeconfig(
        globals.kubeconfig ?? defaultKubeconfigPath({ env: io.env, cwd: io.cwd }),
        {
          ...(globals.namespace === undefined ? {} : { namespace: globals.namespace }),
          onWarning: (message) => io.stderr.write(`Warning: ${message}\n`),
        },
      );
      return client;
    },
    untilSignal: () =>
      new Promise((resolve) => {
        const on = (signal: NodeJS.Signals): void => {
          process.off('SIGINT', on);
          process.off('SIGTERM', on);
          resolve(signal);
        };
        process.on('SIGINT', on);
        process.on('SIGTERM', on);
      }),
  };
  try {
    return await command.run(ctx, values, positionals);
  } finally {
    await client?.close();
  }
}

/** The position of the command word: the first argument that is not a global flag or its value. */
function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--kubeconfig' || a === '-n' || a === '--namespace') i++;
    else if (!a.startsWith('-')) return i;
  }
  return -1;
}

function parse(command: Command, args: string[]): { values: FlagValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? String(err), command.name);
  }
}

async function help(io: CliIo, topic: string[], _rest: string[]): Promise<number> {
  const wanted = topic.find((t) => !t.startsWith('-'));
  if (wanted !== undefined) {
    const command = COMMANDS.find((c) => c.name === wanted);
    if (!command) throw new UsageError(`unknown command "${wanted}" for "stratus"`);
    await write(io.stdout, commandHelp(command));
    return 0;
  }
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 3;
  await write(
    io.stdout,
    'stratus: a private cloud in one package, driven by the Kubernetes and S3 APIs.\n\n' +
      'Usage: stratus COMMAND [flags]\n\nCommands:\n' +
      COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}\n`).join('') +
      `  ${'help'.padEnd(width)}Show a command's usage: stratus help COMMAND\n\n` +
      GLOBAL_HELP,
  );
  return 0;
}

function commandHelp(command: Command): string {
  return `${command.summary}\n\n${command.usage.trimEnd()}\n\n${GLOBAL_HELP}`;
}
