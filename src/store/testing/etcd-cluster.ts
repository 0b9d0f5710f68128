import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { EtcdClient } from '../etcd/etcd-client.js';
import { prefixEnd } from '../etcd/etcd-keys.js';
import { freePort } from '../../common/free-port.js';

/** Debian's etcd (package etcd-server). */
export const ETCD_BINARY = '/usr/bin/etcd';
const etcdMissing = !existsSync(ETCD_BINARY);
if (etcdMissing && process.env['CI'] === 'true') {
  throw new Error(`etcd is required under CI (${ETCD_BINARY} is missing: apt-get install etcd-server)`);
}
/** `false`, or why etcd tests skip. */
export const etcdSkip: string | false = etcdMissing ? `etcd not installed at ${ETCD_BINARY}` : false;

interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  child: ChildProcess | undefined;
  log: string;
}

/**
 * A test's etcd cluster: `members` etcd processes on 127.0.0.1 ports, data in a temp dir,
 * killed and removed by close(). Members can be killed (SIGKILL) one by one.
 */
export class EtcdCluster {
  private constructor(
    private readonly dir: string,
    private readonly members: Member[],
  ) {}

  /** Starts the members and waits until every one answers a read. */
  static async start(members = 1): Promise<EtcdCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-etcd-'));
    const list: Member[] = [];
    for (let i = 0; i < members; i++) {
      list.push({
        name: `m${i}`,
        clientPort: await freePort(),
        peerPort: await freePort(),
        child: undefined,
        log: '',
      });
    }
    const cluster = new EtcdCluster(dir, list);
    const initial = list.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    for (const m of list) cluster.spawn(m, initial);
    try {
      await Promise.all(list.map((m) => cluster.waitReady(m)));
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /** `127.0.0.1:port` of every member's client URL, killed ones included. */
  get endpoints(): string[] {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`);
  }

  /** `etcd://…` for `stratus server --store`. */
  get url(): string {
    return `etcd://${this.endpoints.join(',')}`;
  }

  /** Kills member `index` with SIGKILL and waits for it to exit. */
  async kill(index: number): Promise<void> {
    const m = this.members[index];
    const child = m?.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Every key under `prefix` with its value and mod revision, as etcd holds them (for tests). */
  async dump(prefix: string): Promise<Map<string, { value: string; modRevision: number }>> {
    const client = new EtcdClient(this.endpoints);
    try {
      const key = Buffer.from(prefix, 'utf8');
      const res = await client.range({ key, range_end: prefixEnd(key) });
      return new Map(
        res.kvs.map((kv) => [
          kv.key.toString('utf8'),
          { value: kv.value.toString('utf8'), modRevision: kv.mod_revision },
        ]),
      );
    } finally {
      await client.close();
    }
  }

  /** The output of every member, for failure messages. */
  logs(): string {
    return this.members.map((m) => `--- ${m.name}\n${m.log.slice(-4000)}`).join('\n');
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.kill(i)));
    await rm(this.dir, { recursive: true, force: true });
  }

  private spawn(m: Member, initial: string): void {
    const client = `http://127.0.0.1:${m.clientPort}`;
    const peer = `http://127.0.0.1:${m.peerPort}`;
    const child = spawn(
      ETCD_BINARY,
      [
        `--name=${m.name}`,
        `--data-dir=${join(this.dir, m.name)}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=${initial}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=${basename(this.dir)}`,
        '--logger=zap',
        '--log-outputs=stderr',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } },
    );
    const append = (chunk: Buffer): void => {
      m.log = (m.log + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    m.child = child;
  }

  /** Polls the member with reads until one succeeds (30 s at most, a bound, not a timing). */
  private async waitReady(m: Member): Promise<void> {
    const client = new EtcdClient([`127.0.0.1:${m.clientPort}`], { callTimeoutMs: 2000 });
    const deadline = Date.now() + 30_000;
    try {
      for (;;) {
        try {
          await client.range({ key: Buffer.from('/') });
          return;
        } catch (err) {
          const child = m.child;
          if (child?.exitCode !== null || Date.now() > deadline) {
            throw new Error(`etcd member ${m.name} did not start: ${String(err)}\n${m.log.slice(-4000)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } finally {
      await client.close();
    }
  }
}
