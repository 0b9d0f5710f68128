import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import { matchLabelSelector } from '../common/selector.js';
import { Controller, objectKey, type Informer } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import { podEndpointsChanged } from './endpoint-pods.js';

/** A Service as the informers hold it. */
export type Svc = Service & KubeObject;
/** A Pod as the informers hold it. */
export type P = Pod & KubeObject;

/**
 * True when a Service's selector selects the labels: as in Kubernetes, a Service without a
 * selector selects nothing (its endpoints are the user's) and an empty one selects every pod.
 */
export function selects(svc: Service, labels: Record<string, string> | undefined): boolean {
  const selector = svc.spec?.selector;
  return selector !== undefined && matchLabelSelector({ matchLabels: selector }, labels);
}

/**
 * The base of the endpoints and endpointslice controllers (kube-controller-manager's pattern
 * for both): keyed by Service, woken by the Service itself and by every pod change that can
 * change its endpoints, for each Service selecting the pod before or after the change.
 */
export abstract class ServicePodsController extends Controller {
  protected readonly ctx: ControllerContext;
  protected readonly services: Informer<Svc>;
  protected readonly pods: Informer<P>;

  constructor(ctx: ControllerContext, name: string) {
    super({ clock: ctx.clock, workers: 2, onError: (key, err) => ctx.onError?.(name, key, err) });
    this.ctx = ctx;
    this.services = ctx.informers.for<Svc>('services');
    this.pods = ctx.informers.for<P>('pods');
    this.services.addHandlers({
      onAdd: (svc) => this.enqueue(objectKey(svc)),
      onUpdate: (_old, svc) => this.enqueue(objectKey(svc)),
      onDelete: (svc) => this.enqueue(objectKey(svc)),
    });
    this.pods.addHandlers({
      onAdd: (pod) => this.enqueueSelecting(pod),
      onUpdate: (old, pod) => {
        if (!podEndpointsChanged(old, pod)) return;
        this.enqueueSelecting(pod);
        if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {})) {
          this.enqueueSelecting(old);
        }
      },
      onDelete: (pod) => this.enqueueSelecting(pod),
    });
  }

  private enqueueSelecting(pod: P): void {
    for (const svc of this.services.list({ namespace: pod.metadata.namespace ?? '' })) {
      if (selects(svc, pod.metadata.labels)) this.enqueue(objectKey(svc));
    }
  }

  /** The pods a Service selects, from the cache. */
  protected selectedPods(svc: Svc): P[] {
    return this.pods.list({
      namespace: svc.metadata.namespace ?? '',
      match: (pod) => selects(svc, pod.metadata.labels),
    });
  }
}
