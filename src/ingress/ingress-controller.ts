/**
 * The Ingress controller (ingress-nginx, Traefik): watches IngressClasses, Ingresses, Services,
 * EndpointSlices and `kubernetes.io/tls` Secrets through informers, and after any change
 * recomputes everything it serves from the caches — routes, one data-plane listener per backend
 * Service port, SNI certificates — applies it without a restart (the data plane drains what
 * left, the front swaps its table) and writes each served Ingress's `status.loadBalancer`.
 * Changes that arrive during a pass are folded into one more pass; a failed pass is retried.
 */
import type { Secret, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Ingress, IngressClass, IngressLoadBalancerIngress } from 'kubernetes-types/networking/v1.js';
import { StatusError, type KubeClient } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import type { ConnectionLimits } from '../connections/index.js';
import { Informer, InformerFactory } from '../machinery/index.js';
import type { DataPlane, L7Driver } from '../network/index.js';
import { backendListeners } from './backend-listeners.js';
import { selfSignedCertificate } from './default-certificate.js';
import { INGRESS_CONTROLLER_NAME, servedIngresses } from './ingress-class.js';
import { startEdge, type IngressEdge } from './ingress-edge.js';
import { buildRouteTable } from './route-table.js';
import { SniCertificates, TLS_SECRET_TYPE } from './sni-certificates.js';

/** Options of IngressController.start; every field but `client` has a default. */
export interface IngressControllerOptions {
  /** A client with the controller's credentials. */
  client: KubeClient;
  /** Where both ports listen; default 127.0.0.1. */
  address?: string;
  /** Defaults: 80 and 443 when root, else 8080 and 8443; 0 picks a free port. */
  httpPort?: number;
  httpsPort?: number;
  /** The address written to `status.loadBalancer.ingress`; default `address` (127.0.0.1 for 0.0.0.0). */
  statusAddress?: string;
  /** The `spec.controller` of the IngressClasses served; default `stratus.dev/ingress-controller`. */
  controllerName?: string;
  /**
   * The L7 data plane; default `node` (a Node front before the node data plane), `haproxy`
   * routes and terminates TLS in HAProxy too (see ingress-edge.ts).
   */
  l7?: L7Driver;
  /** The ports' timeouts and caps; default INGRESS_CONNECTION_LIMITS. */
  limits?: ConnectionLimits;
  /** Largest request body; default 1 MiB (413 beyond). */
  maxBodyBytes?: number;
  /**
   * The certificate for names no Ingress covers (`stratus up` passes one signed by the cluster
   * CA); default a self-signed one made at start.
   */
  defaultCertificate?: { cert: string; key: string };
  /** Hears warnings (a missing Secret, a path served by an older Ingress) and pass failures. */
  log?: (line: string) => void;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** See the file comment. */
export class IngressController {
  private readonly factory: InformerFactory;
  private readonly classes: Informer<IngressClass & KubeObject>;
  private readonly ingresses: Informer<Ingress & KubeObject>;
  private readonly services: Informer<Service & KubeObject>;
  private readonly slices: Informer<EndpointSlice & KubeObject>;
  private readonly secrets: Informer<Secret & KubeObject>;
  private readonly log: (line: string) => void;
  private dirty = false;
  private running: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private warned = new Set<string>();
  /** Completed passes, for tests and `explain`. */
  passes = 0;

  private constructor(
    private readonly options: IngressControllerOptions,
    private readonly edge: IngressEdge,
    private readonly certificates: SniCertificates,
  ) {
    this.log = options.log ?? ((line) => process.stderr.write(`ingress: ${line}\n`));
    const onError = (err: unknown): void => this.log(`watch: ${(err as Error).message}`);
    this.factory = new InformerFactory(options.client, { onError });
    this.classes = this.factory.for('ingressclasses');
    this.ingresses = this.factory.for('ingresses');
    this.services = this.factory.for('services');
    this.slices = this.factory.for('endpointslices');
    this.secrets = new Informer(options.client, 'secrets', {
      fieldSelector: `type=${TLS_SECRET_TYPE}`,
      onError,
    });
  }

  /** Starts the data plane, the ports and the informers, and serves what exists; see the options. */
  static async start(options: IngressControllerOptions): Promise<IngressController> {
    const certificates = new SniCertificates(
      options.defaultCertificate ??
        selfSignedCertificate('Stratus Ingress Controller Fake Certificate', ['ingress.local']),
    );
    const edge = await startEdge({
      l7: options.l7 ?? 'node',
      address: options.address ?? '127.0.0.1',
      httpPort: options.httpPort ?? (isRoot() ? 80 : 8080),
      httpsPort: options.httpsPort ?? (isRoot() ? 443 : 8443),
      certificates,
      limits: options.limits,
    });
    try {
      const controller = new IngressController(options, edge, certificates);
      const informers = [
        controller.classes,
        controller.ingresses,
        controller.services,
        controller.slices,
        controller.secrets,
      ];
      const schedule = (): void => controller.schedule();
      for (const i of informers) i.addHandlers({ onAdd: schedule, onUpdate: schedule, onDelete: schedule });
      try {
        await Promise.all(informers.map((i) => i.start()));
        controller.schedule();
        await controller.running;
      } catch (err) {
        await controller.close();
        throw err;
      }
      return controller;
    } catch (err) {
      await edge.close();
      throw err;
    }
  }

  /** The bound HTTP port. */
  get httpPort(): number {
    return this.edge.httpPort;
  }

  /** Serves a renewed default certificate from the next handshake on. */
  setDefaultCertificate(pair: { cert: string; key: string }): void {
    this.edge.setDefaultCertificate(pair);
    this.schedule();
  }

  /** The bound HTTPS port. */
  get httpsPort(): number {
    return this.edge.httpsPort;
  }

  /** Counters of the backends' listeners (requests, endpoints, health). */
  stats(): ReturnType<DataPlane['stats']> {
    return this.edge.stats();
  }

  /** Stops watching, closes the ports and the data plane. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    await Promise.all([this.factory.close(), this.secrets.close()]);
    await this.running?.catch(() => undefined);
    await this.edge.close();
  }

  private schedule(): void {
    this.dirty = true;
    if (this.running === undefined && !this.closed) this.running = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.closed) {
      this.dirty = false;
      try {
        await this.sync();
        this.passes++;
      } catch (err) {
        this.log(`applying the Ingresses failed, retrying in 1 s: ${(err as Error).message}`);
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.schedule(), 1000);
        this.retry.unref();
        break;
      }
    }
    this.running = undefined;
  }

  private async sync(): Promise<void> {
    const controller = this.options.controllerName ?? INGRESS_CONTROLLER_NAME;
    const all = this.ingresses.list();
    const served = servedIngresses(this.classes.list(), all, controller);
    const table = buildRouteTable(served);
    const warnings = [...table.warnings];
    const listeners = backendListeners(
      table.backends.values(),
      (ns, name) => this.services.get(ns, name),
      (ns) => this.slices.list({ namespace: ns }),
      { maxBodyBytes: this.options.maxBodyBytes ?? 1_048_576, requestTimeoutMs: 60_000 },
    );
    this.certificates.update(
      table.tls,
      (ns, name) => this.secrets.get(ns, name),
      (w) => warnings.push(w),
    );
    await this.edge.apply(table, listeners);
    const fresh = new Set(warnings);
    for (const w of fresh) if (!this.warned.has(w)) this.log(w);
    this.warned = fresh;
    await this.writeStatus(all, new Set(served));
  }

  /** The load-balancer status a served Ingress carries: where the ports listen. */
  private loadBalancer(): IngressLoadBalancerIngress[] {
    const address = this.options.address ?? '127.0.0.1';
    const ip =
      this.options.statusAddress ?? (address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address);
    return [
      {
        ip,
        ports: [
          { port: this.edge.httpPort, protocol: 'TCP' },
          { port: this.edge.httpsPort, protocol: 'TCP' },
        ],
      },
    ];
  }

  private async writeStatus(all: Ingress[], served: Set<Ingress>): Promise<void> {
    const ours = this.loadBalancer();
    const text = JSON.stringify(ours);
    for (const ing of all) {
      const now = ing.status?.loadBalancer?.ingress ?? [];
      const want = served.has(ing) ? ours : now.length > 0 && JSON.stringify(now) === text ? [] : undefined;
      if (want === undefined || JSON.stringify(now) === JSON.stringify(want)) continue;
      await this.options.client
        .patch(
          'ingresses',
          ing.metadata?.name ?? '',
          { status: { loadBalancer: { ingress: want.length > 0 ? want : null } } },
          { namespace: ing.metadata?.namespace ?? 'default', subresource: 'status' },
        )
        .catch((err: unknown) => {
          // A deleted Ingress needs no status; anything else is retried with the next pass.
          if (!(err instanceof StatusError && err.reason === 'NotFound')) throw err;
        });
    }
  }
}
