import type { Endpoints } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import { Controller, objectKey, splitKey, type Informer } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import {
  MIRROR_MANAGED_BY,
  mirroredEndpoints,
  mirrorOwner,
  shouldMirror,
} from './endpointslice-mirroring-plan.js';
import { MANAGED_BY_LABEL, planSlices, SERVICE_NAME_LABEL, type Slice } from './endpointslice-plan.js';
import type { Svc } from './service-pods-controller.js';
import { writeSlicePlan } from './slice-writes.js';
import { WriteTracker } from './write-tracker.js';

type Ep = Endpoints & KubeObject;

/** The Endpoints a mirrored slice belongs to (`namespace/name`), or undefined for others' slices. */
function mirroredKeyOf(slice: Slice): string | undefined {
  const labels = slice.metadata.labels ?? {};
  const name = labels[SERVICE_NAME_LABEL];
  if (!name || labels[MANAGED_BY_LABEL] !== MIRROR_MANAGED_BY) return undefined;
  return `${slice.metadata.namespace ?? ''}/${name}`;
}

/**
 * Kubernetes' endpointslicemirroring controller: the Endpoints a user writes for a Service
 * without selector (an external database, a process outside the cluster) are mirrored into
 * EndpointSlices labelled `endpointslice.kubernetes.io/managed-by:
 * endpointslicemirroring-controller.k8s.io` and owned by the Endpoints, so the service proxy,
 * which reads slices only, serves them. Keyed by the Endpoints' (= the Service's) key; a
 * Service that gains a selector, an Endpoints labelled `endpointslice.kubernetes.io/skip-mirror:
 * "true"` or one deleted loses its mirrored slices. Planned with the endpointslice
 * controller's `planSlices`, so only the slices a change touches are written.
 */
export class EndpointSliceMirroringController extends Controller {
  readonly name = 'endpointslicemirroring';
  private readonly endpoints: Informer<Ep>;
  private readonly services: Informer<Svc>;
  private readonly slices: Informer<Slice>;
  private readonly written = new WriteTracker();

  constructor(private readonly ctx: ControllerContext) {
    super({
      clock: ctx.clock,
      workers: 1,
      onError: (key, err) => ctx.onError?.('endpointslicemirroring', key, err),
    });
    this.endpoints = ctx.informers.for<Ep>('endpoints');
    this.services = ctx.informers.for<Svc>('services');
    this.slices = ctx.informers.for<Slice>('endpointslices');
    const byKey = {
      onAdd: (o: KubeObject) => this.enqueue(objectKey(o)),
      onDelete: (o: KubeObject) => this.enqueue(objectKey(o)),
    };
    this.endpoints.addHandlers({ ...byKey, onUpdate: (_old, o) => this.enqueue(objectKey(o)) });
    this.services.addHandlers({
      ...byKey,
      onUpdate: (old, svc) => {
        if ((old.spec?.selector === undefined) !== (svc.spec?.selector === undefined))
          this.enqueue(objectKey(svc));
      },
    });
    const wake = (slice: Slice): void => {
      const key = mirroredKeyOf(slice);
      if (key !== undefined) this.enqueue(key);
    };
    this.slices.addHandlers({
      onAdd: wake,
      onUpdate: (_old, slice) => wake(slice),
      onDelete: (slice) => {
        const key = mirroredKeyOf(slice);
        if (key !== undefined) this.written.gone(key, objectKey(slice));
        wake(slice);
      },
    });
  }

  protected informers(): Informer[] {
    return [this.endpoints, this.services, this.slices] as unknown as Informer[];
  }

  async reconcile(key: string): Promise<void> {
    if (this.written.stale(key, (k) => this.slices.getByKey(k))) return;
    const { namespace } = splitKey(key);
    const endpoints = this.endpoints.getByKey(key);
    const svc = this.services.getByKey(key);
    const existing = this.slices.list({ namespace, match: (s) => mirroredKeyOf(s) === key });
    const mirrored = shouldMirror(endpoints, svc);
    const plan =
      mirrored && endpoints !== undefined && svc !== undefined
        ? planSlices(mirrorOwner(endpoints, svc), existing, mirroredEndpoints(endpoints).groups)
        : { create: [], update: [], delete: existing };
    await writeSlicePlan(this.ctx.client, plan, key, namespace, this.written);
  }
}
