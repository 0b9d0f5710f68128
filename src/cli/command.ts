import type { ParseArgsConfig } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import type { KubeClient } from '../client/index.js';

/** The streams and environment a command runs with (the process's, or a test's). */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Flags every command accepts. */
export interface GlobalFlags {
  /** `--kubeconfig`; default: `$KUBECONFIG`, `./.stratus/kubeconfig`, `~/.kube/config`. */
  kubeconfig?: string;
  /** `-n/--namespace`; default: the kubeconfig context's namespace. */
  namespace?: string;
}

/** What a command gets besides its own flags. */
export interface CommandContext {
  io: CliIo;
  globals: GlobalFlags;
  /** The API client for the chosen kubeconfig, created on first use and closed after the command. */
  client(): KubeClient;
  /**
   * Resolves when the process receives SIGINT or SIGTERM. Long-running commands (server, up,
   * get -w) wait on it to close cleanly; others never call it and keep the default handlers.
   */
  untilSignal(): Promise<NodeJS.Signals>;
}

/** The parsed flags of a command, as node:util parseArgs returns them. */
export type FlagValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/**
 * One verb of the CLI: its flags (node:util parseArgs form), its help text, and what it does.
 * `run` returns the exit code; errors it throws are printed by the dispatcher as one line.
 */
export interface Command {
  name: string;
  /** One line for `stratus --help`. */
  summary: string;
  /** The usage and flag lines for `stratus help NAME`. */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: CommandContext, values: FlagValues, positionals: string[]): Promise<number>;
}

/** A string flag's value, or undefined. */
export function flagString(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string flag's values (empty when absent). */
export function flagStrings(values: FlagValues, name: string): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

/** True when a boolean flag was given. */
export function flagBool(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

/** Writes text to a stream and resolves once it has been handed to the OS. */
export function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
