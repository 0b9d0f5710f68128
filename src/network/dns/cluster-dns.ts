/**
 * The cluster DNS server an agent runs (CoreDNS with the kubernetes plugin): a `DnsServer` whose
 * catalog reads informers on Services and EndpointSlices, so an answer reflects the caches as
 * they are when the query arrives (a change shows as soon as its watch event is in, well within
 * a second). Other names go to the host's resolvers from /etc/resolv.conf.
 */
import { readFileSync } from 'node:fs';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeClient } from '../../client/index.js';
import type { KubeObject } from '../../common/kube-object.js';
import { InformerFactory, type Informer } from '../../machinery/index.js';
import type { DnsCatalog } from './cluster-records.js';
import { DnsServer } from './dns-server.js';
import { resolvConfNameservers } from './resolv-conf.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Options of `ClusterDns.start`. */
export interface ClusterDnsOptions {
  /** A client allowed to list and watch Services and EndpointSlices (a node's is). */
  client: KubeClient;
  /** Where to listen: the pod bridge's gateway, or a loopback address. */
  address: string;
  /** Default 53. */
  port?: number;
  /** Default `cluster.local`. */
  zone?: string;
  /** Resolvers for other names; default the nameservers of `resolvConfPath`. */
  upstreams?: string[];
  /** Default `/etc/resolv.conf`. */
  resolvConfPath?: string;
  onError?: (err: unknown) => void;
}

/** See the file comment. */
export class ClusterDns {
  private constructor(
    private readonly informers: InformerFactory,
    private readonly server: DnsServer,
  ) {}

  /** The port it serves on. */
  get port(): number {
    return this.server.port;
  }

  /** Starts the informers (waits for their first lists) and the server. */
  static async start(options: ClusterDnsOptions): Promise<ClusterDns> {
    const informers = new InformerFactory(options.client, { onError: options.onError ?? (() => undefined) });
    const services = informers.for<Service & KubeObject>('services');
    const slices = informers.for<EndpointSlice & KubeObject>('endpointslices');
    try {
      await Promise.all([services.start(), slices.start()]);
      const upstreams =
        options.upstreams ?? resolvConfNameservers(readResolvConf(options.resolvConfPath), [options.address]);
      const server = await DnsServer.start({
        address: options.address,
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.zone === undefined ? {} : { zone: options.zone }),
        catalog: informerCatalog(services, slices),
        upstreams,
      });
      return new ClusterDns(informers, server);
    } catch (err) {
      await informers.close();
      throw err;
    }
  }

  /** Stops the server and the informers. */
  async close(): Promise<void> {
    await this.server.close();
    await this.informers.close();
  }
}

function readResolvConf(path = '/etc/resolv.conf'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A catalog over informer caches. */
export function informerCatalog(
  services: Informer<Service & KubeObject>,
  slices: Informer<EndpointSlice & KubeObject>,
): DnsCatalog {
  return {
    service: (namespace, name) => services.get(namespace, name),
    slices: (namespace, service) =>
      slices.list({ namespace, match: (s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === service }),
    hasNamespace: (namespace) => services.list({ namespace }).length > 0,
  };
}
