import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { Controller, Informer } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import { jsonEqual } from './json-equal.js';

/** Where the API server answers, as the `kubernetes` Service's Endpoints name it. */
export interface ApiServerEndpoint {
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

/** The Endpoints of `default/kubernetes`: this API server. Pure. */
export function kubernetesEndpoints(endpoint: ApiServerEndpoint): Endpoints & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: NAME, namespace: NAMESPACE },
    subsets: [
      {
        addresses: [{ ip: endpoint.address }],
        ports: [{ name: 'https', port: endpoint.port, protocol: 'TCP' }],
      },
    ],
  };
}

/**
 * Keeps the `default/kubernetes` Service and its Endpoints, as kube-apiserver's own
 * controllers do, so that clients in pods reach the API server at a stable ClusterIP (and by
 * the DNS name `kubernetes.default.svc`) through the node proxies. A deleted Service or
 * Endpoints object is put back and changed ports are restored; a Service found with another
 * ClusterIP (a range changed since) keeps it, since ClusterIPs are immutable. The EndpointSlice
 * comes from the mirroring controller, the Service having no selector. With several servers
 * each would write its own address here; a lease-based reconciler (kube-apiserver's) is needed
 * for them.
 */
export class KubernetesServiceController extends Controller {
  readonly name = 'kubernetes-service';
  private readonly services: Informer<Service & KubeObject>;
  private readonly endpoints: Informer<Endpoints & KubeObject>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly endpoint: ApiServerEndpoint,
  ) {
    super({ clock: ctx.clock, onError: (key, err) => ctx.onError?.('kubernetes-service', key, err) });
    const only = { namespace: NAMESPACE, fieldSelector: `metadata.name=${NAME}` };
    this.services = new Informer(ctx.client, 'services', only);
    this.endpoints = new Informer(ctx.client, 'endpoints', only);
    const again = (): void => this.enqueue(KEY);
    this.services.addHandlers({ onAdd: again, onUpdate: again, onDelete: again });
    this.endpoints.addHandlers({ onAdd: again, onUpdate: again, onDelete: again });
  }

  protected informers(): Informer[] {
    return [this.services, this.endpoints] as unknown as Informer[];
  }

  /**
   * Starts, and puts the Service in place before resolving (as kube-apiserver is not ready
   * before it), so that no Service created after the server is up can take its address.
   */
  override async start(options: { timeoutMs?: number } = {}): Promise<void> {
    await super.start(options);
    try {
      await this.reconcile();
    } catch {
      this.enqueue(KEY);
    }
  }

  override async close(): Promise<void> {
    await super.close();
    await this.services.close();
    await this.endpoints.close();
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
      const wantEps = kubernetesEndpoints(this.endpoint);
      if (eps === undefined) await client.create('endpoints', wantEps, options);
      else if (!jsonEqual(eps.subsets, wantEps.subsets))
        await client.update('endpoints', { ...eps, subsets: wantEps.subsets }, options);
    } catch (err) {
      // Created or changed meanwhile: the informers bring the new version and requeue.
      if (!(err instanceof StatusError && err.status === 409)) throw err;
    }
  }
}
