import type { KubeObject } from '../../common/kube-object.js';
import { StoreError, type Store } from '../../store/index.js';
import type { Holder } from './service-allocator.js';

/** The store resources of reservations (internal: not served by the API), by kind of value. */
const RESOURCE = {
  ip: 'serviceipreservations',
  port: 'servicenodeportreservations',
  podCidr: 'nodepodcidrreservations',
} as const;

/** A kind of value reserved: a Service's ClusterIP or NodePort, a Node's pod range. */
export type ReservedKind = keyof typeof RESOURCE;

/** A reservation nobody confirmed for this long (a create that crashed mid-way) may be taken over. */
export const ORPHAN_RESERVATION_MS = 5 * 60_000;

/**
 * One object in the store per taken ClusterIP, NodePort and Node pod range (Kubernetes' IPAddress
 * objects), so that API servers sharing a store never hand out one value twice: a create of the reservation
 * is a compare-and-swap on its absence, made before the Service's write. Each server's bitmap
 * stays the fast path (it skips values it knows are taken); the reservation decides races
 * between servers. A reservation is held while its Service exists, while that Service's create
 * may still be in flight on another server (younger than ORPHAN_RESERVATION_MS), and is freed
 * when the Service's deletion is seen (by every server; the delete carries the reservation's
 * resourceVersion, so only the holder's reservation goes).
 */
export class ServiceReservations {
  constructor(
    private readonly store: Store,
    private readonly options: {
      /** The store resource of the holders: `services`, or `nodes` for pod ranges. */
      holders: string;
      now: () => number;
      /** Whether the uid's Service was seen deleted (the allocator's watch, caught up). */
      deleted: (uid: string) => Promise<boolean>;
      onWarning: (message: string) => void;
    },
  ) {}

  /**
   * Reserves `value` for `holder`: true when it is now (or already was) the holder's, or when
   * it was held by a Service that is gone; otherwise the holder that keeps it.
   */
  async reserve(kind: ReservedKind, value: string, holder: Holder): Promise<true | Holder> {
    const resource = RESOURCE[kind];
    const object = (): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ServiceReservation',
      metadata: { name: value, namespace: '', creationTimestamp: new Date(this.options.now()).toISOString() },
      holder: { ...holder },
    });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.store.create(resource, object());
        return true;
      } catch (err) {
        if (!(err instanceof StoreError && err.code === 'STORE_ALREADY_EXISTS')) throw err;
      }
      const current = await this.store.get(resource, '', value);
      if (current === undefined) continue;
      const other = current['holder'] as Holder;
      if (other.uid === holder.uid) return true;
      if (!(await this.stale(current, other))) return other;
      try {
        const next = object();
        next.metadata.resourceVersion = current.metadata.resourceVersion ?? '';
        await this.store.update(resource, next);
        return true;
      } catch (err) {
        if (!(err instanceof StoreError && (err.code === 'STORE_CONFLICT' || err.code === 'STORE_NOT_FOUND')))
          throw err;
      }
    }
    return { namespace: '', name: '', uid: '' };
  }

  /** Frees `value` if `uid` holds it (a failed create, a value an update gave up, a deleted Service). */
  release(kind: ReservedKind, value: string, uid: string): void {
    const resource = RESOURCE[kind];
    void (async () => {
      const current = await this.store.get(resource, '', value);
      if (current === undefined || (current['holder'] as Holder).uid !== uid) return;
      await this.store.delete(resource, '', value, {
        ...(current.metadata.resourceVersion !== undefined
          ? { expectedResourceVersion: current.metadata.resourceVersion }
          : {}),
      });
    })().catch((err: unknown) => {
      if (err instanceof StoreError && (err.code === 'STORE_CONFLICT' || err.code === 'STORE_NOT_FOUND'))
        return;
      this.options.onWarning(`releasing ${kind} ${value}: ${(err as Error).message}`);
    });
  }

  /** Gone: its Service was deleted, or exists under another uid, or it is an orphan of a crash. */
  private async stale(reservation: KubeObject, holder: Holder): Promise<boolean> {
    const svc = await this.store.get(this.options.holders, holder.namespace, holder.name);
    if (svc !== undefined) return svc.metadata.uid !== holder.uid;
    if (await this.options.deleted(holder.uid)) return true;
    const created = Date.parse(reservation.metadata.creationTimestamp ?? '') || 0;
    return this.options.now() - created > ORPHAN_RESERVATION_MS;
  }
}
