import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { Controller, Informer, type LeaseObservation } from '../machinery/index.js';
import {
  APISERVER_IDENTITY,
  APISERVER_IDENTITY_LABEL,
  APISERVER_LEASE_NAMESPACE,
  APISERVER_RENEW_INTERVAL_MS,
  apiserverLease,
  apiserverLeaseName,
  liveServers,
  serverEndpoints,
  type LeaseObject,
  type ServerAddress,
} from './apiserver-leases.js';
import type { ControllerContext } from './controller-context.js';
import { jsonEqual } from './json-equal.js';

/** Where the API server answers, as the `kubernetes` Service's Endpoints name it. */
export interface ApiServerEndpoint extends ServerAddress {
  /** The first address of the Service range, as Kubernetes reserves it for this Service. */
  clusterIP: string;
  /** The address the node proxies reach the API server on. */
  address: string;
  port: number;
}

const NAME = 'kubernetes';
const NAMESPACE = 'default';
const KEY = `${NAMESPACE}/${NAME}`;

/** The `default/kubernetes` Service: HTTPS on 443 to the API server, no selector. Pure. */
export function kubernetesService(endpoint: ApiServerEndpoint): Service & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: NAME,
      namespace: NAMESPACE,
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: endpoint.clusterIP,
      sessionAffinity: 'None',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: endpoint.port }],
    },
  };
}

/**
 * Keeps the `default/kubernetes` Service and its Endpoints, as kube-apiserver's own
 * controllers do, so that clients in pods reach the API server at a stable ClusterIP (and by
 * the DNS name `kubernetes.default.svc`) through the node proxies. A deleted Service or
 * Endpoints object is put back and changed ports are restored; a Service found with another
 * ClusterIP (a range changed since) keeps it, since ClusterIPs are immutable. The EndpointSlice
 * comes from the mirroring controller, the Service having no selector. Every server runs one:
 * each renews its own Lease and writes the Endpoints from the live Leases (`apiserver-leases.ts`,
 * kube-apiserver's lease reconciler), so they list every live server and a dead one leaves once
 * its Lease expires; a server that stops removes its Lease and its address at once.
 */
export class KubernetesServiceController extends Controller {
  readonly name = 'kubernetes-service';
  private readonly services: Informer<Service & KubeObject>;
  private readonly endpoints: Informer<Endpoints & KubeObject>;
  private readonly leases: Informer<LeaseObject>;
  private observed = new Map<string, LeaseObservation>();
  private renewing: NodeJS.Timeout | undefined;
  private renewal: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly endpoint: ApiServerEndpoint,
    private readonly options: {
      /** The server's name (`--server-name`, default the host name). */
      identity: string;
      /** How often the Lease is renewed and the Endpoints rechecked; default 10 s. */
      renewIntervalMs?: number;
    },
  ) {
    super({ clock: ctx.clock, onError: (key, err) => ctx.onError?.('kubernetes-service', key, err) });
    const only = { namespace: NAMESPACE, fieldSelector: `metadata.name=${NAME}` };
    this.services = new Informer(ctx.client, 'services', only);
    this.endpoints = new Informer(ctx.client, 'endpoints', only);
    this.leases = new Informer(ctx.client, 'leases', {
      namespace: APISERVER_LEASE_NAMESPACE,
      labelSelector: `${APISERVER_IDENTITY_LABEL}=${APISERVER_IDENTITY}`,
    });
    const again = (): void => this.enqueue(KEY);
    for (const i of [this.services, this.endpoints, this.leases] as Informer[])
      i.addHandlers({ onAdd: again, onUpdate: again, onDelete: again });
  }

  protected informers(): Informer[] {
    return [this.services, this.endpoints, this.leases] as unknown as Informer[];
  }

  /** This server's Lease name. */
  get leaseName(): string {
    return apiserverLeaseName(this.options.identity, this.endpoint);
  }

  /**
   * Starts, and puts the Service in place before resolving (as kube-apiserver is not ready
   * before it), so that no Service created after the server is up can take its address.
   */
  override async start(options: { timeoutMs?: number } = {}): Promise<void> {
    await super.start(options);
    try {
      await this.renew();
      await this.reconcile();
    } catch {
      this.enqueue(KEY);
    }
    this.renewing = setInterval(() => {
      if (this.renewal !== undefined) return;
      // A failed renewal is tried again on the next tick; the Lease outlives one missed tick.
      this.renewal = this.renew()
        .catch((err: unknown) => this.ctx.onError?.('kubernetes-service', this.leaseName, err))
        .finally(() => {
          this.renewal = undefined;
          this.enqueue(KEY);
        });
    }, this.options.renewIntervalMs ?? APISERVER_RENEW_INTERVAL_MS);
    this.renewing.unref();
  }

  /**
   * Stops renewing, then removes this server's Lease and its address from the Endpoints, as
   * kube-apiserver does on shutdown; if that fails (the store is gone), the Lease expires.
   */
  override async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewing);
    // A renewal in flight must not put the Lease back after it is deleted.
    await this.renewal;
    await super.close();
    try {
      await this.ctx.client.delete('leases', this.leaseName, { namespace: APISERVER_LEASE_NAMESPACE });
      const others = this.liveServers().filter(
        (s) => s.address !== this.endpoint.address || s.port !== this.endpoint.port,
      );
      const eps = this.endpoints.getByKey(KEY);
      if (eps !== undefined && others.length > 0) {
        await this.ctx.client.update(
          'endpoints',
          { ...eps, subsets: serverEndpoints(others).subsets },
          { namespace: NAMESPACE },
        );
      }
    } catch (err) {
      this.ctx.onError?.('kubernetes-service', this.leaseName, err);
    }
    await Promise.all([this.services.close(), this.endpoints.close(), this.leases.close()]);
  }

  /** Writes this server's Lease with the current time. */
  private async renew(): Promise<void> {
    if (this.stopped) return;
    const want = apiserverLease(this.options.identity, this.endpoint, this.clock.now());
    const have = this.leases.get(APISERVER_LEASE_NAMESPACE, this.leaseName);
    const options = { namespace: APISERVER_LEASE_NAMESPACE };
    try {
      if (have === undefined) await this.ctx.client.create('leases', want, options);
      else {
        const spec = { ...want.spec, acquireTime: have.spec?.['acquireTime'] ?? want.spec?.['acquireTime'] };
        await this.ctx.client.update(
          'leases',
          { ...have, metadata: { ...have.metadata, ...want.metadata }, spec },
          options,
        );
      }
    } catch (err) {
      // Another version is in the cache's way: the next tick writes over the newer one.
      if (!(err instanceof StatusError && err.status === 409)) throw err;
    }
  }

  /** The servers with live Leases, this one always among them while it runs. */
  private liveServers(): ServerAddress[] {
    const { servers, observed } = liveServers(this.leases.list(), this.observed, this.clock.now());
    this.observed = observed;
    return this.stopped
      ? servers
      : [...servers, { address: this.endpoint.address, port: this.endpoint.port }];
  }

  async reconcile(): Promise<void> {
    const client = this.ctx.client;
    const options = { namespace: NAMESPACE };
    try {
      const svc = this.services.getByKey(KEY);
      const wantSvc = kubernetesService(this.endpoint);
      if (svc === undefined) await client.create('services', wantSvc, options);
      else if (!jsonEqual(svc.spec?.ports, wantSvc.spec?.ports))
        await client.update(
          'services',
          { ...svc, spec: { ...svc.spec, ports: wantSvc.spec?.ports } },
          options,
        );
      const eps = this.endpoints.getByKey(KEY);
      const wantEps = serverEndpoints(this.liveServers());
      if (eps === undefined) await client.create('endpoints', wantEps, options);
      else if (!jsonEqual(eps.subsets, wantEps.subsets))
        await client.update('endpoints', { ...eps, subsets: wantEps.subsets }, options);
    } catch (err) {
      // Created or changed meanwhile: the informers bring the new version and requeue.
      if (!(err instanceof StatusError && err.status === 409)) throw err;
    }
  }
}
