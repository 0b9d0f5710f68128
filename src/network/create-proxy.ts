/**
 * The data path an agent runs: HTTP listeners on the chosen L7 driver (`node` or `haproxy`),
 * TCP and UDP listeners on the node data plane's userspace L4 proxy. The service proxy builds
 * one with `createProxy()` and calls `apply()` with every configuration it computes. With
 * `l4: 'nftables'` the TCP and UDP listeners the kernel can serve become DNAT rules instead.
 */
import type { BoundAddress, DataPlane } from './data-plane.js';
import { HaproxyDataPlane } from './haproxy/haproxy-data-plane.js';
import { nftablesDataPlane } from './nftables/nftables-data-plane.js';
import { NodeDataPlane } from './node/node-data-plane.js';
import { normalizeConfig, type ProxyConfig } from './proxy-config.js';
import type { ListenerStats } from './traffic-stats.js';

/** The L7 drivers. */
export type L7Driver = 'node' | 'haproxy';
/** Where TCP and UDP listeners are served: a userspace proxy, or nftables DNAT in the kernel. */
export type L4Mode = 'userspace' | 'nftables';

/** Options of createProxy. */
export interface ProxyOptions {
  /** Default `node`. `haproxy` throws NETWORK_DATA_PLANE_UNAVAILABLE when HAProxy is missing. */
  l7?: L7Driver;
  /** Threads of the node data plane (default: the cores), of HAProxy (default 2). */
  threads?: number;
  accessLogPath?: string;
  /** How long removed listeners' connections may finish; default 30 s. */
  drainMs?: number;
  /**
   * Default `userspace`. `nftables` serves the TCP and UDP listeners the kernel can (see
   * `kernelCapable`) with DNAT rules in table `nftTable` (needs root and nft; else it throws
   * NETWORK_DATA_PLANE_UNAVAILABLE).
   */
  l4?: L4Mode;
  /** The nftables table of this data path; default `stratus-proxy`. */
  nftTable?: string;
}

/** HTTP on one data plane, TCP and UDP on the node one. */
class SplitDataPlane implements DataPlane {
  readonly driver: string;

  constructor(
    private readonly l7: DataPlane,
    private readonly l4: DataPlane,
  ) {
    this.driver = `${l7.driver}+${l4.driver}`;
  }

  async apply(config: ProxyConfig): Promise<void> {
    normalizeConfig(config);
    const http = config.listeners.filter((l) => l.protocol === 'http');
    const other = config.listeners.filter((l) => l.protocol !== 'http');
    await this.l7.apply({ listeners: http });
    await this.l4.apply({ listeners: other });
  }

  async stats(): Promise<ListenerStats[]> {
    return [...(await this.l7.stats()), ...(await this.l4.stats())];
  }

  bound(listener: string): BoundAddress | undefined {
    return this.l7.bound(listener) ?? this.l4.bound(listener);
  }

  async close(): Promise<void> {
    await Promise.all([this.l7.close(), this.l4.close()]);
  }
}

/** Builds the data path (see the file comment). */
export async function createProxy(options: ProxyOptions = {}): Promise<DataPlane> {
  const plane = await userspaceProxy(options);
  if (options.l4 !== 'nftables') return plane;
  try {
    return nftablesDataPlane(plane, options.nftTable ?? 'stratus-proxy');
  } catch (err) {
    await plane.close();
    throw err;
  }
}

async function userspaceProxy(options: ProxyOptions): Promise<DataPlane> {
  const common = {
    ...(options.accessLogPath === undefined ? {} : { accessLogPath: options.accessLogPath }),
    ...(options.drainMs === undefined ? {} : { drainMs: options.drainMs }),
  };
  const node = await NodeDataPlane.start({
    ...common,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  });
  if ((options.l7 ?? 'node') === 'node') return node;
  try {
    const haproxy = await HaproxyDataPlane.start({ ...common, threads: options.threads ?? 2 });
    return new SplitDataPlane(haproxy, node);
  } catch (err) {
    await node.close();
    throw err;
  }
}
