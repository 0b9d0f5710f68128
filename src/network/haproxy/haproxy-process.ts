/**
 * One HAProxy 2.6 in master-worker mode (`-W`, master CLI on a socket in our folder): started,
 * checked (`haproxy -c`) before every reload, reloaded seamlessly (the master passes the
 * listening sockets to the new worker; old workers finish their connections, at most
 * `hard-stop-after`), and stopped. A reload is done only when the structure changed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dataPlaneFailed, dataPlaneUnavailable } from '../errors.js';
import { runtimeCommand } from './runtime-api.js';

/** Where HAProxy is looked for when it is not on PATH (Debian installs it in /usr/sbin). */
const CANDIDATES = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy'];

/** The HAProxy binary, or undefined when it is not installed. */
export function findHaproxy(): string | undefined {
  const fromPath = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  if (fromPath.status === 0) return 'haproxy';
  return CANDIDATES.find((p) => existsSync(p));
}

/** The version line of a binary (`2.6.12`), checked to be 2.6 or newer. */
export function haproxyVersion(binary: string): string {
  const out = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  const m = /version (\d+)\.(\d+)\.?(\d+)?/.exec(out.stdout ?? '');
  if (out.status !== 0 || m === null) throw dataPlaneUnavailable('haproxy', `${binary} -v failed`);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < 2 || (major === 2 && minor < 6))
    throw dataPlaneUnavailable('haproxy', `HAProxy ${m[0]} is older than 2.6`);
  return `${m[1]}.${m[2]}${m[3] === undefined ? '' : `.${m[3]}`}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * What the master prints when a reload fails (a configuration it cannot load). Workers' runtime
 * alerts (`backend … has no server available!` when health checks take servers down) are not.
 */
const RELOAD_FAILED = /Reload failed|Loading failure|Fatal errors found|\[ALERT\][^\n]*: config :/;

/** See the file comment. */
export class HaproxyProcess {
  private child: ChildProcess | undefined;
  private stderr = '';
  private workerPid: string | undefined;

  constructor(
    private readonly binary: string,
    private readonly dir: string,
  ) {}

  get adminSocket(): string {
    return join(this.dir, 'admin.sock');
  }

  private get configPath(): string {
    return join(this.dir, 'haproxy.cfg');
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null;
  }

  /** Checks `config` with `haproxy -c`; throws HAProxy's own message when it is wrong. */
  async check(config: string): Promise<void> {
    const path = join(this.dir, 'check.cfg');
    await writeFile(path, config, { mode: 0o600 });
    const out = spawnSync(this.binary, ['-c', '-f', path], { encoding: 'utf8', timeout: 30_000 });
    if (out.status !== 0) {
      throw dataPlaneFailed(
        'haproxy',
        `the generated configuration was refused: ${(out.stderr || out.stdout).trim()}`,
      );
    }
  }

  /** Starts HAProxy on `config` and waits for its worker to answer on the admin socket. */
  async start(config: string): Promise<void> {
    await writeFile(this.configPath, config, { mode: 0o600 });
    const child = spawn(
      this.binary,
      ['-W', '-db', '-S', `${join(this.dir, 'master.sock')},mode,600`, '-f', this.configPath],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.workerPid = await this.waitForWorker(undefined);
  }

  /** Writes `config` and reloads; resolves once the new worker answers. */
  async reload(config: string): Promise<void> {
    await writeFile(this.configPath, config, { mode: 0o600 });
    this.stderr = '';
    this.child?.kill('SIGUSR2');
    this.workerPid = await this.waitForWorker(this.workerPid);
  }

  /** Soft stop: listeners close at once, connections get `graceMs`, then the process is killed. */
  async stop(graceMs: number): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGUSR1');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Polls `show info` until a worker other than `previous` answers (bounded, 15 s). */
  private async waitForWorker(previous: string | undefined): Promise<string> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (!this.running) throw dataPlaneFailed('haproxy', `HAProxy exited: ${this.stderr.trim()}`);
      const info = await runtimeCommand(this.adminSocket, ['show info'], 2000).catch(() => '');
      const pid = /^Pid: (\d+)/m.exec(info)?.[1];
      if (pid !== undefined && pid !== previous) return pid;
      if (RELOAD_FAILED.test(this.stderr) && previous !== undefined) {
        throw dataPlaneFailed('haproxy', `the reload failed: ${this.stderr.trim()}`);
      }
      await sleep(25);
    }
    throw dataPlaneFailed('haproxy', `no HAProxy worker answered within 15 s: ${this.stderr.trim()}`);
  }
}
