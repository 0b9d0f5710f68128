import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeClient } from '../../client/index.js';
import type { KubeObject } from '../../common/kube-object.js';
import { Informer, InformerFactory } from '../../machinery/index.js';
import { createProxy, type L4Mode, type L7Driver } from '../create-proxy.js';
import { tableName } from '../nftables/nft-ruleset.js';
import type { DataPlane } from '../data-plane.js';
import { NetworkError } from '../errors.js';
import type { ListenerConfig, ProxyConfig } from '../proxy-config.js';
import type { ListenerStats } from '../traffic-stats.js';
import {
  SERVICE_NAME_LABEL,
  serviceListeners,
  weightOf,
  type ProxyNode,
  type ServiceWarning,
} from './service-listeners.js';

/** Options of `ServiceProxy.start`. */
export interface ServiceProxyOptions {
  /** A client allowed to list and watch Services, EndpointSlices and Pods. */
  client: KubeClient;
  node: ProxyNode;
  /** The L7 driver; default `node`. */
  l7?: L7Driver;
  /** TCP and UDP in userspace (default) or as nftables DNAT (table `stratus-<node>`). */
  l4?: L4Mode;
  /** Threads of the data plane (default: the cores). */
  threads?: number;
  /** How often listeners that could not bind are tried again; default 10 s. */
  retryMs?: number;
  /** Where problems go (a Service's bad annotation, an address in use); default: stderr. */
  onError?: (err: unknown) => void;
}

/** Whether address:port can be bound now (another agent on this host may hold it). */
function canBind(l: ListenerConfig): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (l.protocol === 'udp') {
      const s = createSocket(l.address.includes(':') ? 'udp6' : 'udp4');
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      s.bind(l.port, l.address, () => s.close(() => resolve(undefined)));
      return;
    }
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    s.listen({ port: l.port, host: l.address, exclusive: true }, () => s.close(() => resolve(undefined)));
  });
}

/**
 * The service proxy every agent runs (kube-proxy): watches Services, EndpointSlices and its
 * node's Pods (for weights) through informers, computes the data plane's configuration and applies it on
 * every change, one apply at a time, coalescing the changes that arrive meanwhile. A listener
 * whose address cannot be bound (taken by another agent on the same host, a privileged port
 * without root) is left out and reported once, and tried again every `retryMs`.
 */
export class ServiceProxy {
  private readonly informers: InformerFactory;
  private readonly services: Informer<Service & KubeObject>;
  private readonly slices: Informer<EndpointSlice & KubeObject>;
  private readonly pods: Informer<Pod & KubeObject>;
  private readonly blocked = new Map<string, string>();
  private readonly warned = new Set<string>();
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private applied = 0;
  private readonly appliedWaiters: Array<() => void> = [];
  private readonly onError: (err: unknown) => void;

  private constructor(
    private readonly options: ServiceProxyOptions,
    readonly dataPlane: DataPlane,
  ) {
    this.onError =
      options.onError ?? ((err) => process.stderr.write(`service proxy: ${(err as Error).message}\n`));
    this.informers = new InformerFactory(options.client, { onError: this.onError });
    this.services = this.informers.for<Service & KubeObject>('services');
    this.slices = this.informers.for<EndpointSlice & KubeObject>('endpointslices');
    // Only this node's pods: a node credential may list no others (the Node authorizer), so the
    // weights of endpoints on other nodes are the default.
    this.pods = new Informer<Pod & KubeObject>(options.client, 'pods', {
      onError: this.onError,
      fieldSelector: `spec.nodeName=${options.node.name}`,
    });
  }

  /** Starts the data plane and the informers; resolves once the first configuration is applied. */
  static async start(options: ServiceProxyOptions): Promise<ServiceProxy> {
    const dataPlane = await createProxy({
      l7: options.l7 ?? 'node',
      l4: options.l4 ?? 'userspace',
      nftTable: tableName(options.node.name),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
    });
    const proxy = new ServiceProxy(options, dataPlane);
    try {
      await proxy.begin();
    } catch (err) {
      await proxy.close();
      throw err;
    }
    return proxy;
  }

  private async begin(): Promise<void> {
    const kick = { onAdd: () => this.sync(), onUpdate: () => this.sync(), onDelete: () => this.sync() };
    this.services.addHandlers(kick);
    this.slices.addHandlers(kick);
    this.pods.addHandlers({
      onUpdate: (a, b) => {
        if (weightOf(a.metadata?.annotations) !== weightOf(b.metadata?.annotations)) this.sync();
      },
    });
    await Promise.all([this.services.start(), this.slices.start(), this.pods.start()]);
    this.sync();
    await this.running;
    this.timer = setInterval(() => {
      if (this.blocked.size === 0) return;
      this.blocked.clear();
      this.sync();
    }, this.options.retryMs ?? 10_000);
    this.timer.unref();
  }

  /** How many configurations were applied; for tests and benchmarks waiting on a change. */
  get generation(): number {
    return this.applied;
  }

  /** Resolves once a configuration computed after this call has been applied. */
  async settled(): Promise<void> {
    const target = this.applied + (this.running === undefined ? 1 : 2);
    this.sync();
    while (this.applied < target && !this.closed) {
      await new Promise<void>((r) => this.appliedWaiters.push(r));
    }
  }

  /** The listeners' counters (for `stratus explain`). */
  stats(): Promise<ListenerStats[]> {
    return this.dataPlane.stats();
  }

  /** The configuration for what the informers hold now, without listeners that cannot bind. */
  computeConfig(): ProxyConfig {
    const node = this.options.node;
    const listeners: ListenerConfig[] = [];
    const taken = new Set<string>();
    const warn = (w: ServiceWarning): void => this.warnOnce(`service ${w.service}: ${w.message}`);
    for (const svc of this.services.list()) {
      const ns = svc.metadata?.namespace ?? '';
      const name = svc.metadata?.name ?? '';
      const slices = this.slices.list({
        namespace: ns,
        match: (s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === name,
      });
      const weight = (podNs: string, pod: string): number =>
        weightOf(this.pods.get(podNs, pod)?.metadata?.annotations);
      for (const l of serviceListeners(svc, { slices, node, weight, warn })) {
        const bind = `${l.protocol === 'udp' ? 'udp' : 'tcp'} ${l.address}:${l.port}`;
        if (taken.has(bind)) {
          warn({ service: `${ns}/${name}`, message: `${bind} is already served by another Service` });
          continue;
        }
        taken.add(bind);
        if (!this.blocked.has(l.name)) listeners.push(l);
      }
    }
    listeners.sort((a, b) => (a.name < b.name ? -1 : 1));
    return { listeners };
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.onError(new Error(message));
  }

  /** Schedules a configuration pass (coalesced with one already waiting). */
  private sync(): void {
    if (this.closed) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.sync();
      }
    });
  }

  private async pass(): Promise<void> {
    for (let attempt = 0; attempt < 100 && !this.closed; attempt++) {
      const config = this.computeConfig();
      for (const l of config.listeners) {
        if (this.dataPlane.bound(l.name) !== undefined) continue;
        const problem = await canBind(l);
        if (problem !== undefined) this.block(l, problem);
      }
      const usable = { listeners: config.listeners.filter((l) => !this.blocked.has(l.name)) };
      try {
        await this.dataPlane.apply(usable);
        break;
      } catch (err) {
        const listener = (err as NetworkError).details?.listener;
        if (
          !(err instanceof NetworkError) ||
          err.code !== 'NETWORK_LISTEN_FAILED' ||
          typeof listener !== 'string'
        ) {
          this.onError(err);
          break;
        }
        this.blocked.set(listener, err.message);
        this.warnOnce(err.message);
      }
    }
    this.applied++;
    for (const w of this.appliedWaiters.splice(0)) w();
  }

  private block(l: ListenerConfig, problem: string): void {
    this.blocked.set(l.name, problem);
    this.warnOnce(
      `listener "${l.name}" cannot listen on ${l.address}:${l.port}: ${problem}; tried again later`,
    );
  }

  /** Stops watching and closes the data plane (its connections get their drain time). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const w of this.appliedWaiters.splice(0)) w();
    await this.informers.close();
    await this.pods.close();
    await this.running?.catch(() => undefined);
    await this.dataPlane.close();
  }
}
