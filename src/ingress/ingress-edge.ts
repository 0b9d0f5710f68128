/**
 * Where Ingress traffic enters, one per L7 driver. `node`: the Node front (`ingress-front.ts`)
 * terminates TLS and routes, and a `createProxy()` data plane balances each backend on a
 * loopback listener (two hops). `haproxy`: HAProxy does all of it in one hop, its router
 * (`src/network/haproxy/haproxy-router.ts`) taking the route table as a first-match rule list
 * (`router-rules.ts`) and the certificates as a crt-list, the backends being the same
 * listeners without a port of their own. Route changes are a Runtime API map swap there;
 * certificate and backend-set changes a seamless reload.
 */
import {
  createProxy,
  HaproxyDataPlane,
  type DataPlane,
  type L7Driver,
  type ListenerConfig,
  type RouterCertificate,
} from '../network/index.js';
import type { ConnectionLimits } from '../connections/index.js';
import { listenerName } from './backend-listeners.js';
import { INGRESS_CONNECTION_LIMITS, IngressFront } from './ingress-front.js';
import type { RouteTable } from './route-table.js';
import { routerRules } from './router-rules.js';
import type { SniCertificates } from './sni-certificates.js';
import { freePort } from '../common/free-port.js';

/** See the file comment. */
export interface IngressEdge {
  readonly httpPort: number;
  readonly httpsPort: number;
  /** Serves `table` with `listeners` as its backends and the certificates' current state. */
  apply(table: RouteTable, listeners: ListenerConfig[]): Promise<void>;
  /** Serves a renewed default certificate (the haproxy edge from its next `apply`). */
  setDefaultCertificate(pair: { cert: string; key: string }): void;
  stats(): ReturnType<DataPlane['stats']>;
  close(): Promise<void>;
}

/** Options of startEdge. */
export interface EdgeOptions {
  l7: L7Driver;
  address: string;
  httpPort: number;
  httpsPort: number;
  certificates: SniCertificates;
  limits?: ConnectionLimits | undefined;
}

class NodeEdge implements IngressEdge {
  constructor(
    private readonly plane: DataPlane,
    private readonly front: IngressFront,
  ) {}

  get httpPort(): number {
    return this.front.httpPort;
  }

  get httpsPort(): number {
    return this.front.httpsPort;
  }

  async apply(table: RouteTable, listeners: ListenerConfig[]): Promise<void> {
    await this.plane.apply({ listeners });
    const upstreams = new Map<string, number>();
    for (const b of table.backends.values()) {
      const port = this.plane.bound(listenerName(b))?.port;
      if (port !== undefined) upstreams.set(b.key, port);
    }
    this.front.setState({ table, upstreams });
  }

  setDefaultCertificate(pair: { cert: string; key: string }): void {
    this.front.setDefaultCertificate(pair);
  }

  stats(): ReturnType<DataPlane['stats']> {
    return this.plane.stats();
  }

  async close(): Promise<void> {
    await this.front.close();
    await this.plane.close();
  }
}

class HaproxyEdge implements IngressEdge {
  constructor(
    private readonly plane: HaproxyDataPlane,
    private readonly options: EdgeOptions,
  ) {}

  get httpPort(): number {
    return this.options.httpPort;
  }

  get httpsPort(): number {
    return this.options.httpsPort;
  }

  apply(table: RouteTable, listeners: ListenerConfig[]): Promise<void> {
    const { certificates } = this.options;
    const bySecret = new Map<string, RouterCertificate>();
    for (const [host, c] of certificates.hosts) {
      const entry = bySecret.get(c.secret) ?? { hosts: [], cert: c.cert, key: c.key };
      entry.hosts.push(host);
      bySecret.set(c.secret, entry);
    }
    const limits = { ...INGRESS_CONNECTION_LIMITS, ...this.options.limits };
    return this.plane.apply({
      listeners,
      router: {
        address: this.options.address,
        httpPort: this.options.httpPort,
        httpsPort: this.options.httpsPort,
        defaultCertificate: certificates.defaultPair,
        certificates: [...bySecret.values()],
        rules: routerRules(table, (r) => listenerName(r.backend)),
        headersTimeoutMs: limits.headersTimeoutMs ?? 60_000,
        keepAliveTimeoutMs: limits.keepAliveTimeoutMs ?? 75_000,
        requestTimeoutMs: limits.requestTimeoutMs ?? 60_000,
      },
    });
  }

  setDefaultCertificate(pair: { cert: string; key: string }): void {
    this.options.certificates.setDefault(pair);
  }

  stats(): ReturnType<DataPlane['stats']> {
    return this.plane.stats();
  }

  close(): Promise<void> {
    return this.plane.close();
  }
}

/** Starts the edge of `options.l7` (see the file comment). */
export async function startEdge(options: EdgeOptions): Promise<IngressEdge> {
  if (options.l7 === 'haproxy') {
    const plane = await HaproxyDataPlane.start({ threads: 1 });
    const httpPort = options.httpPort === 0 ? await freePort(options.address) : options.httpPort;
    const httpsPort = options.httpsPort === 0 ? await freePort(options.address) : options.httpsPort;
    return new HaproxyEdge(plane, { ...options, httpPort, httpsPort });
  }
  const plane = await createProxy({ l7: options.l7, threads: 1 });
  try {
    const front = await IngressFront.start({
      address: options.address,
      httpPort: options.httpPort,
      httpsPort: options.httpsPort,
      certificates: options.certificates,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    return new NodeEdge(plane, front);
  } catch (err) {
    await plane.close();
    throw err;
  }
}
