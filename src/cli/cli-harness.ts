import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../client/index.js';
import { startServer, type RunningServer, type ServerOptions } from './server.js';

/** The compiled CLI beside this file (dist/src/cli/main.js, or dist-NAME/… in a private build). */
export const MAIN_JS = fileURLToPath(new URL('./main.js', import.meta.url));

/** `stratus up` flags for free Ingress ports, so that parallel tests never race for 80/443 (or 8080/8443). */
export const NO_FIXED_PORTS = ['--ingress-http-port', '0', '--ingress-https-port', '0'];
/** The repository's examples/ folder, found from the compiled file. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** The outcome of one CLI run. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A test cloud: an API server on a free port with its data in a temp folder, a client for it,
 * and a way to run the real `stratus` binary against it as a child process. For the CLI's
 * end-to-end tests; `close()` stops the server and removes the folder.
 */
export class CliHarness {
  readonly dir: string;
  readonly server: RunningServer;
  readonly client: KubeClient;
  private readonly children = new Set<ChildProcessWithoutNullStreams>();

  private constructor(dir: string, server: RunningServer) {
    this.dir = dir;
    this.server = server;
    this.client = KubeClient.fromKubeconfig(server.kubeconfigPath);
  }

  /** Starts a server in a fresh temp folder (with `options` over the defaults). */
  static async start(options: Partial<ServerOptions> = {}): Promise<CliHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-cli-e2e-'));
    try {
      return new CliHarness(dir, await startServer({ dataDir: join(dir, 'data'), apiPort: 0, ...options }));
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The environment a child CLI gets: this cloud's kubeconfig, and a private HOME. */
  env(): NodeJS.ProcessEnv {
    return { ...process.env, KUBECONFIG: this.server.kubeconfigPath, HOME: this.dir };
  }

  /** Starts `stratus ARGS…` as a child process; the harness kills it on close if still running. */
  spawn(args: readonly string[]): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, [MAIN_JS, ...args], { cwd: this.dir, env: this.env() });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs `stratus ARGS…` to completion (killed after `timeoutMs`, default 60 s). */
  run(args: readonly string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<CliResult> {
    const child = this.spawn(args);
    return collect(child, options);
  }

  async close(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    await this.client.close();
    await this.server.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Feeds stdin, gathers output and waits for the child's exit, killing it after a deadline. */
export function collect(
  child: ChildProcessWithoutNullStreams,
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A long-running `stratus` child (`server`, `agent`): its output as it comes, and its end. */
export interface CliChild {
  process: ChildProcessWithoutNullStreams;
  stdout: OutputBuffer;
  stderr: OutputBuffer;
  done: Promise<CliResult>;
}

/** Starts `stratus ARGS` in `dir` (also its HOME), killed after `timeoutMs`. */
export function spawnCli(dir: string, args: string[], timeoutMs: number): CliChild {
  const child = spawn(process.execPath, [MAIN_JS, ...args], { cwd: dir, env: { ...process.env, HOME: dir } });
  return {
    process: child,
    stdout: new OutputBuffer(child.stdout),
    stderr: new OutputBuffer(child.stderr),
    done: collect(child, { timeoutMs }),
  };
}

/**
 * Everything a child's stream has printed so far, gathered from the moment it is created, and
 * a bounded wait for a pattern in it. For long-running children (`get -w`, `server`).
 */
export class OutputBuffer {
  text = '';
  private ended = false;
  private readonly waiters = new Set<() => void>();

  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (d: Buffer) => {
      this.text += d.toString();
      for (const w of this.waiters) w();
    });
    stream.on('end', () => {
      this.ended = true;
      for (const w of this.waiters) w();
    });
  }

  /** Resolves with the text once `pattern` matches it; rejects on end of stream or after `timeoutMs` (default 30 s). */
  waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`no ${String(pattern)} within ${timeoutMs} ms in: ${this.text}`)),
        timeoutMs,
      );
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (err) reject(err);
        else resolve(this.text);
      };
      const check = (): void => {
        if (pattern.test(this.text)) done();
        else if (this.ended) done(new Error(`output ended before ${String(pattern)}: ${this.text}`));
      };
      this.waiters.add(check);
      check();
    });
  }
}

/**
 * Kills the process groups of the pods an agent with data directory `agentDataDir` left running
 * (an agent that stops leaves its pods, as kubelet does; their records name the wrappers).
 */
export function killAgentPods(agentDataDir: string): void {
  const dir = join(agentDataDir, 'runtime', 'containers');
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    if (!f.endsWith('.json')) continue;
    try {
      const pid = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { pid: number }).pid;
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already, or a torn record
    }
  }
}
