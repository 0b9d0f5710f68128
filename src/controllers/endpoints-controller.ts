import type { Endpoints } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { objectKey, splitKey, type Informer } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import { desiredSubsets, truncateSubsets } from './endpoints-plan.js';
import { jsonEqual } from './json-equal.js';
import { ServicePodsController } from './service-pods-controller.js';
import { WriteTracker } from './write-tracker.js';

type Ep = Endpoints & KubeObject;

const HEADLESS = 'service.kubernetes.io/headless';
const OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';

/**
 * Kubernetes' endpoints controller: keeps an Endpoints object named after each Service with a
 * selector, listing the selected pods (`desiredSubsets`), labelled like the Service (plus
 * `service.kubernetes.io/headless` for a headless one), truncated to 1000 addresses with the
 * `over-capacity` annotation. It writes only when the subsets, labels or that annotation
 * differ; it deletes the Endpoints of a deleted Service. Services without a selector keep
 * whatever Endpoints their users write.
 */
export class EndpointsController extends ServicePodsController {
  readonly name = 'endpoints';
  private readonly endpoints: Informer<Ep>;
  private readonly written = new WriteTracker();

  constructor(ctx: ControllerContext) {
    super(ctx, 'endpoints');
    this.endpoints = ctx.informers.for<Ep>('endpoints');
    this.endpoints.addHandlers({
      onAdd: (ep) => this.enqueue(objectKey(ep)),
      onUpdate: (_old, ep) => this.enqueue(objectKey(ep)),
      onDelete: (ep) => {
        this.written.gone(objectKey(ep), objectKey(ep));
        this.enqueue(objectKey(ep));
      },
    });
  }

  protected informers(): Informer[] {
    return [this.services, this.pods, this.endpoints] as unknown as Informer[];
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    // Until the cache shows this controller's last write, the event that shows it comes back here.
    if (this.written.stale(key, (k) => this.endpoints.getByKey(k))) return;
    const svc = this.services.getByKey(key);
    const current = this.endpoints.getByKey(key);
    if (svc === undefined) {
      if (current !== undefined) await this.deleteEndpoints(namespace, name);
      return;
    }
    if (svc.spec?.selector === undefined) return;
    const subsets = desiredSubsets(svc, this.selectedPods(svc));
    const truncated = truncateSubsets(subsets);
    const labels: Record<string, string> = { ...svc.metadata.labels };
    const headless = !svc.spec.clusterIP || svc.spec.clusterIP === 'None';
    if (headless) labels[HEADLESS] = '';
    const annotations: Record<string, string> = { ...current?.metadata.annotations };
    if (truncated) annotations[OVER_CAPACITY] = 'truncated';
    else delete annotations[OVER_CAPACITY];
    if (
      current !== undefined &&
      jsonEqual(current.subsets ?? [], subsets) &&
      jsonEqual(current.metadata.labels ?? {}, labels) &&
      jsonEqual(current.metadata.annotations ?? {}, annotations)
    ) {
      return;
    }
    const object: Ep = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        ...(current?.metadata ?? { name, namespace }),
        labels,
        annotations,
      },
      subsets,
    };
    if (Object.keys(annotations).length === 0) delete object.metadata.annotations;
    // A conflict (another writer) fails the pass; the retry sees the newer object.
    const stored =
      current === undefined
        ? await this.ctx.client.create('endpoints', object)
        : await this.ctx.client.update('endpoints', object);
    this.written.wrote(key, key, stored);
  }

  private async deleteEndpoints(namespace: string, name: string): Promise<void> {
    try {
      await this.ctx.client.delete('endpoints', name, { namespace });
      this.written.deleted(`${namespace}/${name}`, `${namespace}/${name}`);
    } catch (err) {
      if (!(err instanceof StatusError && err.status === 404)) throw err;
    }
  }
}
