import type { Clock } from '../../common/clock.js';
import type { KubeObject } from '../../common/kube-object.js';
import { parseExactQuantity, unitValue } from '../../common/exact-quantity.js';
import {
  forbiddenWrite,
  type Admission,
  type AdmissionFinish,
  type WriteAttributes,
} from '../../identity/index.js';
import { BUCKETS_RESOURCE, evaluatorFor } from '../../resources/quota/index.js';
import type { Store } from '../../store/index.js';
import { NamespacedIndex } from './namespaced-index.js';
import { QuotaCharger, type ChargeResult } from './quota-charger.js';

/** Which write a charge is for: a create's object uid, or the resourceVersion an update replaces. */
function writeIdentity(w: WriteAttributes): { uid?: string; rv?: string } {
  if (w.old !== undefined)
    return w.old.metadata.resourceVersion === undefined ? {} : { rv: w.old.metadata.resourceVersion };
  return w.object.metadata.uid === undefined ? {} : { uid: w.object.metadata.uid };
}

/** Resources quota never counts, as kube-apiserver's default (Events would crowd out real work). */
const IGNORED = new Set(['events', 'events.events.k8s.io']);

/**
 * kube-apiserver's ResourceQuota admission: a write in a namespace with ResourceQuotas is
 * charged to every quota it falls under before it is stored, or refused with Kubernetes'
 * message (`pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2,
 * limited: pods=2`), nothing stored. Charging is atomic per quota (QuotaCharger); dry runs are
 * checked, never charged. The quotas of a namespace are known from a watch, so writes in
 * namespaces without any cost one map lookup. It runs last in the admission chain, after
 * everything that could still refuse the write.
 */
export class QuotaAdmission implements Admission {
  private readonly quotas: NamespacedIndex;
  private readonly charger: QuotaCharger;

  constructor(
    store: Store,
    private readonly clock: Clock,
  ) {
    this.quotas = new NamespacedIndex(store, 'resourcequotas');
    this.charger = new QuotaCharger(store, clock);
  }

  /** Loads the quotas and starts watching them. */
  start(): Promise<void> {
    return this.quotas.start();
  }

  async admit(w: WriteAttributes): Promise<AdmissionFinish | undefined> {
    if (w.namespace === '' || !this.quotas.has(w.namespace)) return undefined;
    const groupResource = w.apiGroup === '' ? w.resource : `${w.resource}.${w.apiGroup}`;
    if (IGNORED.has(groupResource) || !evaluatorFor(groupResource).handles(w.operation, w.subresource))
      return undefined;
    const name = w.object.metadata.name ?? '';
    const result = await this.charger.charge(
      w.namespace,
      {
        operation: w.operation,
        subresource: w.subresource,
        groupResource,
        object: w.object,
        ...(w.old !== undefined ? { old: w.old } : {}),
        nowMs: this.clock.now(),
      },
      {
        key: `${groupResource}/${name}`,
        dryRun: w.dryRun === true,
        of: writeIdentity(w),
      },
    );
    if (!result.ok) throw forbiddenWrite(w, result.message);
    return result.finish;
  }

  /**
   * Charges a bucket about to be created for `namespace` (the S3 gateway's CreateBucket): the
   * refusal's message, or what settles the charge once the bucket exists or failed.
   */
  async chargeBucket(namespace: string, bucket: string): Promise<ChargeResult> {
    if (!this.quotas.has(namespace)) return { ok: true };
    const object: KubeObject = {
      apiVersion: 'storage.stratus.dev/v1',
      kind: 'Bucket',
      metadata: { name: bucket },
      spec: { namespace },
    };
    return this.charger.charge(
      namespace,
      {
        operation: 'create',
        subresource: '',
        groupResource: BUCKETS_RESOURCE,
        object,
        nowMs: this.clock.now(),
      },
      { key: `${BUCKETS_RESOURCE}/${bucket}`, dryRun: false, of: {} },
    );
  }

  /** The `hard` limit a namespace's quotas set on `resource` (the smallest), in base units, or undefined. */
  hardLimit(namespace: string, resource: string): bigint | undefined {
    let least: bigint | undefined;
    for (const q of this.quotas.in(namespace)) {
      const hard = parseExactQuantity(
        (q.status as { hard?: Record<string, unknown> } | undefined)?.hard?.[resource],
      );
      if (hard === undefined) continue;
      const value = unitValue(hard);
      if (least === undefined || value < least) least = value;
    }
    return least;
  }

  /** Ends the watch. */
  close(): Promise<void> {
    return this.quotas.close();
  }
}
