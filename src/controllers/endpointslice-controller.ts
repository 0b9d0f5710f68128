import type { Node } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import { objectKey, splitKey, type Informer } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import {
  desiredEndpoints,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  planSlices,
  serviceOwner,
  SERVICE_NAME_LABEL,
  type Slice,
} from './endpointslice-plan.js';
import { ServicePodsController } from './service-pods-controller.js';
import { writeSlicePlan } from './slice-writes.js';
import { WriteTracker } from './write-tracker.js';

type N = Node & KubeObject;

/** The Service a managed slice belongs to (`namespace/name`), or undefined for others' slices. */
function serviceKeyOf(slice: Slice): string | undefined {
  const labels = slice.metadata.labels ?? {};
  const name = labels[SERVICE_NAME_LABEL];
  if (!name || labels[MANAGED_BY_LABEL] !== MANAGED_BY) return undefined;
  return `${slice.metadata.namespace ?? ''}/${name}`;
}

/**
 * Kubernetes' endpointslice controller: for each Service with a selector (ExternalName ones
 * excepted) it keeps EndpointSlices of at most 100 endpoints, labelled
 * `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by`, owned by the
 * Service (so they go with it), planned by `planSlices` so that a change rewrites only the
 * slices it touches and nothing is written when nothing changed. Before a pass it checks that
 * the slice cache shows its own last writes (WriteTracker); while it does not, the informer
 * event that will show them brings the Service back.
 */
export class EndpointSliceController extends ServicePodsController {
  readonly name = 'endpointslice';
  private readonly slices: Informer<Slice>;
  private readonly nodes: Informer<N>;
  private readonly written = new WriteTracker();

  constructor(ctx: ControllerContext) {
    super(ctx, 'endpointslice');
    this.slices = ctx.informers.for<Slice>('endpointslices');
    this.nodes = ctx.informers.for<N>('nodes');
    const wake = (slice: Slice): void => {
      const key = serviceKeyOf(slice);
      if (key !== undefined) this.enqueue(key);
    };
    this.slices.addHandlers({
      onAdd: wake,
      onUpdate: (_old, slice) => wake(slice),
      onDelete: (slice) => {
        const key = serviceKeyOf(slice);
        if (key !== undefined) this.written.gone(key, objectKey(slice));
        wake(slice);
      },
    });
  }

  protected informers(): Informer[] {
    return [this.services, this.pods, this.slices, this.nodes] as unknown as Informer[];
  }

  async reconcile(key: string): Promise<void> {
    if (this.written.stale(key, (k) => this.slices.getByKey(k))) return;
    const svc = this.services.getByKey(key);
    // A deleted Service's slices go with it (owner references); nothing to do here.
    if (svc === undefined || svc.spec?.selector === undefined || svc.spec.type === 'ExternalName') return;
    const { namespace } = splitKey(key);
    const existing = this.slices.list({ namespace, match: (s) => serviceKeyOf(s) === key });
    const groups = desiredEndpoints(svc, this.selectedPods(svc), (node) => {
      return this.nodes.get('', node)?.metadata.labels?.['topology.kubernetes.io/zone'];
    });
    const plan = planSlices(serviceOwner(svc), existing, groups);
    await writeSlicePlan(this.ctx.client, plan, key, namespace, this.written);
  }
}
