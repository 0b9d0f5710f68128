import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { storeUnavailable } from '../errors.js';
import type { EtcdTls } from './etcd-client.js';

/** Options of EtcdMemberProcess.start. */
export interface EtcdMemberProcessOptions {
  /** Debian's etcd; default `/usr/bin/etcd`. */
  binary?: string;
  /** The member's name, unique in its cluster. */
  name: string;
  /** Its data directory (made 0700). */
  dataDir: string;
  /** The address it listens on and advertises to clients and peers (IPv4 or a name). */
  address: string;
  clientPort: number;
  peerPort: number;
  /** `name=https://addr:port,…` of every member, itself included (etcd's `--initial-cluster`). */
  initialCluster: string;
  /** `new` for the first member, `existing` for one added with MemberAdd. */
  state: 'new' | 'existing';
  /** Files of the member's certificate (serverAuth and clientAuth: peers dial each other) and the CA. */
  files: { cert: string; key: string; ca: string };
  /** Used to wait for the member to answer. */
  tls: EtcdTls;
  /** The member's errors and restarts, a line each; default dropped. */
  onLog?: (line: string) => void;
}

/**
 * One etcd member run as a child process, as k3s runs its embedded etcd but with the real
 * binary: TLS with client certificates on both its client and peer ports (the cluster CA signs
 * every member and client), data in the server's data directory. A member that exits while the
 * server runs is started again (after a second, then up to 30 s between tries), so a crash of
 * etcd alone does not take the server down; `close()` stops it with SIGTERM and waits.
 */
export class EtcdMemberProcess {
  private child: ChildProcess | undefined;
  private closed = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private log = '';

  private constructor(private readonly options: EtcdMemberProcessOptions) {}

  /** Starts the member and waits until it answers a read (up to `readyTimeoutMs`, default 60 s). */
  static async start(
    options: EtcdMemberProcessOptions,
    wait: { readyTimeoutMs?: number } = {},
  ): Promise<EtcdMemberProcess> {
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    const member = new EtcdMemberProcess(options);
    member.spawn();
    try {
      await member.waitReady(wait.readyTimeoutMs ?? 60_000);
    } catch (err) {
      await member.close();
      throw err;
    }
    return member;
  }

  /** `https://address:clientPort`. */
  get clientUrl(): string {
    return `https://${this.options.address}:${this.options.clientPort}`;
  }

  /** `address:clientPort`, as the store's client dials it. */
  get clientAddress(): string {
    return `${this.options.address}:${this.options.clientPort}`;
  }

  /** `https://address:peerPort`. */
  get peerUrl(): string {
    return `https://${this.options.address}:${this.options.peerPort}`;
  }

  /** The child's pid while it runs (tests kill it to see it come back). */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(force);
  }

  private spawn(): void {
    const o = this.options;
    const client = this.clientUrl;
    const peer = this.peerUrl;
    const child = spawn(
      o.binary ?? '/usr/bin/etcd',
      [
        `--name=${o.name}`,
        `--data-dir=${o.dataDir}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=${o.initialCluster}`,
        `--initial-cluster-state=${o.state}`,
        `--cert-file=${o.files.cert}`,
        `--key-file=${o.files.key}`,
        `--trusted-ca-file=${o.files.ca}`,
        '--client-cert-auth',
        `--peer-cert-file=${o.files.cert}`,
        `--peer-key-file=${o.files.key}`,
        `--peer-trusted-ca-file=${o.files.ca}`,
        '--peer-client-cert-auth',
        '--logger=zap',
        '--log-outputs=stderr',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } },
    );
    const append = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      this.log = (this.log + text).slice(-20_000);
      // etcd's warnings are routine (slow applies, peers connecting); errors are worth a line.
      for (const line of text.split('\n'))
        if (/"level":"(error|fatal|panic)"/.test(line)) o.onLog?.(`etcd member ${o.name}: ${line}`);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    child.on('error', (err) => append(Buffer.from(`etcd: ${err.message}\n`)));
    child.on('exit', (code, signal) => {
      if (this.closed) return;
      o.onLog?.(`etcd member ${o.name} exited (${signal ?? `code ${code}`}); starting it again`);
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(this.restarts++, 5));
      this.restartTimer = setTimeout(() => {
        if (!this.closed) this.spawn();
      }, delay);
    });
    this.child = child;
  }

  /** Polls the member with reads until one succeeds; a bound, not a timing. */
  private async waitReady(timeoutMs: number): Promise<void> {
    const { EtcdClient } = await import('./etcd-client.js');
    const client = new EtcdClient([this.clientAddress], { callTimeoutMs: 2000, tls: this.options.tls });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        try {
          await client.range({ key: Buffer.from('/') });
          this.restarts = 0;
          return;
        } catch (err) {
          if (this.child?.exitCode !== null || Date.now() > deadline) {
            throw storeUnavailable(
              `etcd member ${this.options.name} did not start: ${(err as Error).message}\n${this.log.slice(-4000)}`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    } finally {
      await client.close();
    }
  }
}
