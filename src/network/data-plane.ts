/**
 * The interface every data plane implements (node, haproxy): it takes a whole configuration
 * at a time, applies the difference without a restart and without dropping a connection, and
 * reports counters. The service proxy computes configurations from Services and
 * EndpointSlices; tests and benchmarks write them by hand.
 */
import type { ProxyConfig } from './proxy-config.js';
import type { ListenerStats } from './traffic-stats.js';

/** Where a listener listens (its port resolved when the configuration said 0). */
export interface BoundAddress {
  address: string;
  port: number;
}

/** See the file comment. */
export interface DataPlane {
  /** `node` or `haproxy`. */
  readonly driver: string;
  /**
   * Applies a configuration. A configuration with a wrong value throws NETWORK_CONFIG_INVALID
   * and a listener that cannot bind NETWORK_LISTEN_FAILED, both before anything changed.
   * Calls are applied one after the other in call order.
   */
  apply(config: ProxyConfig): Promise<void>;
  /** Counters of every listener and endpoint, summed over threads or processes. */
  stats(): Promise<ListenerStats[]>;
  /** The address a listener is bound to, once applied. */
  bound(listener: string): BoundAddress | undefined;
  /** Stops listening, lets open connections finish (bounded) and frees everything. */
  close(): Promise<void>;
}
