/**
 * The kernel L4 path in front of a userspace data plane: listeners the kernel can serve
 * (`kernelCapable`) become nftables DNAT rules in a table of this node's own, replaced
 * atomically on every apply and removed on close; the rest go to the userspace data plane.
 * Needs root and Debian's `nft`.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { processExists } from '../../common/process-exists.js';
import type { BoundAddress, DataPlane } from '../data-plane.js';
import { dataPlaneFailed, dataPlaneUnavailable } from '../errors.js';
import { normalizeConfig, type Listener, type ProxyConfig } from '../proxy-config.js';
import { emptyTraffic, type ListenerStats } from '../traffic-stats.js';
import { kernelCapable, kernelEndpoints, nftRuleset, tableOwner, type ChainOwner } from './nft-ruleset.js';

const CANDIDATES = ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'];
const TIMEOUT_MS = 10_000;

/** The nft binary, or a reason the kernel path cannot run here. */
export function findNft(): { binary: string } | { missing: string } {
  if (process.platform !== 'linux') return { missing: 'nftables needs Linux' };
  if (process.getuid?.() !== 0) return { missing: 'nftables needs root' };
  const binary = spawnSync('nft', ['--version']).status === 0 ? 'nft' : CANDIDATES.find(existsSync);
  return binary === undefined ? { missing: 'nft is not installed (Debian package nftables)' } : { binary };
}

/** Runs nft with `args`, `input` on stdin; rejects with nft's own message. */
export function runNft(binary: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(binary, args, { timeout: TIMEOUT_MS, maxBuffer: 64 << 20 }, (err, out, errOut) =>
      err
        ? reject(dataPlaneFailed('nftables', `nft ${args.join(' ')}: ${errOut.trim() || err.message}`))
        : resolve(out),
    );
    // nft may exit before reading its input (a command that takes none, a failure): the exit
    // status reports that, so a broken pipe on stdin is not an error of its own.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/**
 * The tables Stratus made (`stratus-…`) whose keeping process is gone (or that name none), for
 * `stratus up --cleanup`.
 */
export async function orphanedStratusTables(binary: string): Promise<string[]> {
  const out = await runNft(binary, ['list', 'tables', 'ip']);
  const orphaned: string[] = [];
  for (const [, name] of out.matchAll(/^table ip (stratus-\S+)$/gm)) {
    const owner = tableOwner(await runNft(binary, ['list', 'table', 'ip', name as string]));
    if (owner === undefined || !processExists(owner)) orphaned.push(name as string);
  }
  return orphaned;
}

interface NftCounter {
  nftables: Array<{ rule?: { chain: string; expr: Array<{ counter?: { packets: number } }> } }>;
}

/** See the file comment. */
export class NftablesDataPlane implements DataPlane {
  readonly driver: string;
  private kernel: Listener[] = [];
  private chains = new Map<string, ChainOwner>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly userspace: DataPlane,
    private readonly binary: string,
    private readonly table: string,
  ) {
    this.driver = `${userspace.driver}+nftables`;
  }

  /** Kernel rules first, then the userspace rest; one apply at a time, in call order. */
  apply(config: ProxyConfig): Promise<void> {
    const run = this.queue.then(async () => {
      const all = normalizeConfig(config);
      const names = new Set(all.filter(kernelCapable).map((l) => l.name));
      const ruleset = nftRuleset(
        this.table,
        all.filter((l) => names.has(l.name)),
      );
      await runNft(this.binary, ['-f', '-'], ruleset.script);
      this.kernel = all.filter((l) => names.has(l.name));
      this.chains = ruleset.chains;
      await this.userspace.apply({ listeners: config.listeners.filter((l) => !names.has(l.name)) });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Userspace figures, and for kernel listeners the connections each endpoint chain counted. */
  async stats(): Promise<ListenerStats[]> {
    const counted = new Map<string, number>();
    if (this.kernel.length > 0) {
      const out = JSON.parse(
        await runNft(this.binary, ['-j', 'list', 'table', 'ip', this.table]),
      ) as NftCounter;
      for (const { rule } of out.nftables) {
        const owner = rule === undefined ? undefined : this.chains.get(rule.chain);
        const packets = rule?.expr.find((e) => e.counter !== undefined)?.counter?.packets;
        if (owner !== undefined && packets !== undefined)
          counted.set(`${owner.listener}\n${owner.endpoint}`, packets);
      }
    }
    const kernel = this.kernel.map((l): ListenerStats => {
      const routable = new Set(kernelEndpoints(l).map((e) => e.id));
      const endpoints = l.endpoints.map((e) => ({
        id: e.id,
        address: e.address,
        port: e.port,
        weight: e.weight,
        state: routable.has(e.id) ? 'serving' : 'draining',
        active: 0,
        traffic: { ...emptyTraffic(), requests: counted.get(`${l.name}\n${e.id}`) ?? 0 },
      }));
      const requests = endpoints.reduce((n, e) => n + e.traffic.requests, 0);
      return {
        name: l.name,
        protocol: l.protocol,
        address: l.address,
        port: l.port,
        algorithm: l.algorithm,
        driver: 'nftables',
        activeConnections: 0,
        connections: requests,
        traffic: { ...emptyTraffic(), requests },
        endpoints,
      };
    });
    return [...kernel, ...(await this.userspace.stats())];
  }

  bound(listener: string): BoundAddress | undefined {
    const l = this.kernel.find((k) => k.name === listener);
    return l === undefined ? this.userspace.bound(listener) : { address: l.address, port: l.port };
  }

  /** Removes the table (connections already made stay: conntrack keeps their translation). */
  async close(): Promise<void> {
    await this.queue;
    await runNft(this.binary, ['delete', 'table', 'ip', this.table]).catch(() => undefined);
    this.kernel = [];
    await this.userspace.close();
  }
}

/** The kernel path over `userspace`, or NETWORK_DATA_PLANE_UNAVAILABLE saying why not. */
export function nftablesDataPlane(userspace: DataPlane, table: string): NftablesDataPlane {
  const nft = findNft();
  if ('missing' in nft) throw dataPlaneUnavailable('nftables', nft.missing);
  return new NftablesDataPlane(userspace, nft.binary, table);
}
