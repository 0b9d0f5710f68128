import { StatusError, UnknownResourceError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { Controller, type Informer } from '../machinery/index.js';
import {
  addLists,
  BUCKETS_RESOURCE,
  calculateUsage,
  chargeLanded,
  evaluatorFor,
  inFlightCharges,
  liveCharges,
  listsEqual,
  maskList,
  parseResourceList,
  pendingUsage,
  quotaScopes,
  resourceListJson,
  trackedResources,
  IN_FLIGHT_TTL_MS,
} from '../resources/quota/index.js';
import type { ControllerContext } from './controller-context.js';
import { jsonEqual } from './json-equal.js';

/** Options of the resourcequota controller. */
export interface ResourceQuotaOptions {
  /** How often every namespace with quotas is recounted anyway; default 300 000 ms (`--resource-quota-sync-period`). */
  resyncMs?: number;
}

/** The namespace an object counts in: its own, or a Bucket's `spec.namespace`. */
function namespaceOf(resource: string, object: KubeObject): string {
  if (resource !== BUCKETS_RESOURCE) return object.metadata.namespace ?? '';
  return ((object.spec ?? {}) as { namespace?: string }).namespace ?? '';
}

/**
 * kube-controller-manager's resourcequota controller: keeps each ResourceQuota's
 * `status.hard` equal to its `spec.hard` and `status.used` equal to what its namespace's
 * objects use, one namespace per key. A recount reads the quotas first, then lists each tracked
 * resource in the namespace (reads that reflect every acknowledged write), and adds the charges
 * admission recorded for writes that have not landed yet, so it never drops a charge in flight;
 * the status is written with the quota's resourceVersion, so a charge made meanwhile makes it
 * count again. Changes of tracked objects that alter their usage (a pod created, deleted or
 * ended), and quota spec changes, queue their namespace; every namespace is recounted each
 * `resyncMs` too.
 */
export class ResourceQuotaController extends Controller {
  readonly name = 'resourcequota';
  private readonly ctx: ControllerContext;
  private readonly quotas: Informer;
  private readonly watched = new Map<string, Informer | undefined>();
  private readonly resyncMs: number;
  private closing = false;

  constructor(ctx: ControllerContext, options: ResourceQuotaOptions = {}) {
    super({ clock: ctx.clock, onError: (key, err) => ctx.onError?.('resourcequota', key, err) });
    this.ctx = ctx;
    this.resyncMs = options.resyncMs ?? 300_000;
    this.quotas = ctx.informers.for('resourcequotas');
    this.quotas.addHandlers({
      onAdd: (q) => this.quotaSeen(q),
      onUpdate: (old, q) => {
        if (!jsonEqual(old.spec, q.spec)) this.quotaSeen(q);
      },
    });
    for (const r of ['pods', 'services', 'secrets', 'configmaps', BUCKETS_RESOURCE]) this.watch(r);
  }

  protected informers(): Informer[] {
    return [this.quotas, ...[...this.watched.values()].filter((i): i is Informer => i !== undefined)];
  }

  private quotaSeen(quota: KubeObject): void {
    const hard = Object.keys(((quota.spec ?? {}) as { hard?: object }).hard ?? {});
    for (const r of trackedResources(hard)) this.watch(r);
    this.enqueue(quota.metadata.namespace ?? '');
  }

  /** Follows a tracked resource's changes (once per resource; unknown resources are skipped). */
  private watch(resource: string): void {
    if (this.watched.has(resource)) return;
    this.watched.set(resource, undefined);
    void this.ctx.client
      .resolve(resource)
      .then(() => {
        if (this.closing) return;
        const informer = this.ctx.informers.for(resource);
        this.watched.set(resource, informer);
        const evaluator = evaluatorFor(resource);
        const touch = (o: KubeObject): void => this.touched(namespaceOf(resource, o));
        informer.addHandlers({
          onAdd: touch,
          onDelete: touch,
          onUpdate: (old, now) => {
            const t = this.clock.now();
            const moved = namespaceOf(resource, old) !== namespaceOf(resource, now);
            if (moved || !listsEqual(evaluator.usage(old, t), evaluator.usage(now, t))) {
              touch(old);
              touch(now);
            }
          },
        });
        return informer.start();
      })
      .catch(() => undefined);
  }

  private touched(namespace: string): void {
    if (namespace !== '' && this.quotas.list({ namespace }).length > 0) this.enqueue(namespace);
  }

  async reconcile(namespace: string): Promise<void> {
    const quotas = (await this.ctx.client.list('resourcequotas', { namespace })).items;
    if (quotas.length === 0) return;
    const hardOf = (q: KubeObject) => parseResourceList(((q.spec ?? {}) as { hard?: unknown }).hard);
    const tracked = new Set(quotas.flatMap((q) => trackedResources(hardOf(q).keys())));
    const objects = new Map<string, KubeObject[]>();
    for (const r of tracked) objects.set(r, await this.listIn(r, namespace));
    const now = this.clock.now();
    let nextExpiry = Infinity;
    for (const quota of quotas) {
      const hard = hardOf(quota);
      const names = [...hard.keys()];
      let used = calculateUsage(names, quotaScopes(quota), (r) => objects.get(r) ?? [], now);
      const records = liveCharges(inFlightCharges(quota), now);
      const landed = (key: string, charge: Parameters<typeof chargeLanded>[0]): boolean => {
        const slash = key.lastIndexOf('/');
        const found = objects.get(key.slice(0, slash))?.find((o) => o.metadata.name === key.slice(slash + 1));
        return chargeLanded(charge, found);
      };
      used = addLists(used, maskList(pendingUsage(records, now, landed), names));
      for (const c of records.values()) nextExpiry = Math.min(nextExpiry, c.at + IN_FLIGHT_TTL_MS);
      const status = { hard: resourceListJson(hard), used: resourceListJson(used) };
      if (jsonEqual(quota.status ?? {}, status)) continue;
      try {
        await this.ctx.client.update(
          'resourcequotas',
          { ...quota, status },
          { subresource: 'status', namespace },
        );
      } catch (err) {
        // A charge (or a spec change) got in first: count again from the new version.
        if (!(err instanceof StatusError && (err.status === 409 || err.status === 404))) throw err;
        this.enqueue(namespace);
        return;
      }
    }
    // Records that nobody removes stop counting when they expire: recount then.
    if (nextExpiry !== Infinity) this.queue.addAfter(namespace, nextExpiry - now + 1);
    this.queue.addAfter(namespace, this.resyncMs);
  }

  /** The namespace's objects of a resource, read as of now; none for a resource the server lacks. */
  private async listIn(resource: string, namespace: string): Promise<KubeObject[]> {
    try {
      if (resource === BUCKETS_RESOURCE) {
        const all = (await this.ctx.client.list(resource)).items;
        return all.filter((b) => namespaceOf(resource, b) === namespace);
      }
      return (await this.ctx.client.list(resource, { namespace })).items;
    } catch (err) {
      if (err instanceof UnknownResourceError) return [];
      throw err;
    }
  }

  override async close(): Promise<void> {
    this.closing = true;
    await super.close();
  }
}
