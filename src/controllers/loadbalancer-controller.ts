import type { LoadBalancerIngress, Node, Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import { Controller, objectKey, type Informer } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import { jsonEqual } from './json-equal.js';

type Svc = Service & KubeObject;
type N = Node & KubeObject;

function nodeIsReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * The load-balancer addresses of a LoadBalancer Service: the InternalIP of every Ready node,
 * each once, sorted (k3s' ServiceLB answers on every node the same way). Pure.
 */
export function loadBalancerIngress(nodes: readonly Node[]): LoadBalancerIngress[] {
  const ips = new Set<string>();
  for (const node of nodes) {
    if (!nodeIsReady(node)) continue;
    const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (ip) ips.add(ip);
  }
  return [...ips].sort().map((ip) => ({ ip, ipMode: 'VIP' }));
}

/**
 * Gives `type: LoadBalancer` Services their `status.loadBalancer.ingress`: the Ready nodes'
 * InternalIPs, where the agents' proxies answer on the Service ports. Services that name a
 * `loadBalancerClass` belong to that class's controller and are left alone, as are other
 * types (the API server clears the status of a Service that stops being a LoadBalancer). The
 * status is written only when it changes.
 */
export class LoadBalancerController extends Controller {
  readonly name = 'loadbalancer';
  private readonly ctx: ControllerContext;
  private readonly services: Informer<Svc>;
  private readonly nodes: Informer<N>;

  constructor(ctx: ControllerContext) {
    super({ clock: ctx.clock, onError: (key, err) => ctx.onError?.('loadbalancer', key, err) });
    this.ctx = ctx;
    this.services = ctx.informers.for<Svc>('services');
    this.nodes = ctx.informers.for<N>('nodes');
    this.services.addHandlers({
      onAdd: (svc) => this.enqueue(objectKey(svc)),
      onUpdate: (_old, svc) => this.enqueue(objectKey(svc)),
    });
    const all = (): void => {
      for (const svc of this.services.list())
        if (svc.spec?.type === 'LoadBalancer') this.enqueue(objectKey(svc));
    };
    this.nodes.addHandlers({
      onAdd: all,
      onUpdate: (old, node) => {
        if (
          nodeIsReady(old) !== nodeIsReady(node) ||
          !jsonEqual(old.status?.addresses, node.status?.addresses)
        ) {
          all();
        }
      },
      onDelete: all,
    });
  }

  protected informers(): Informer[] {
    return [this.services, this.nodes] as unknown as Informer[];
  }

  async reconcile(key: string): Promise<void> {
    const svc = this.services.getByKey(key);
    if (svc === undefined || svc.spec?.type !== 'LoadBalancer' || svc.spec.loadBalancerClass !== undefined)
      return;
    const ingress = loadBalancerIngress(this.nodes.list());
    if (jsonEqual(svc.status?.loadBalancer?.ingress ?? [], ingress)) return;
    await this.ctx.client.patch(
      'services',
      svc.metadata.name ?? '',
      { status: { loadBalancer: { ingress: ingress.length > 0 ? ingress : null } } },
      { namespace: svc.metadata.namespace ?? '', subresource: 'status' },
    );
  }
}
