import type { Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../common/kube-object.js';
import type { Store, Watcher } from '../../store/index.js';
import { RangeAllocator } from './range-allocator.js';
import { ServiceReservations } from './service-reservations.js';
import { ipAt, ipOffset, staticBand, type PortRange, type ServiceIPRange } from './service-ranges.js';

/** Who holds an address or port: a Service by namespace/name and uid (creates hold theirs too). */
export interface Holder {
  namespace: string;
  name: string;
  uid: string;
}

/** Why an allocation failed; `message` is Kubernetes' wording. */
export class AllocationError extends Error {
  constructor(
    readonly reason: 'allocated' | 'range' | 'full',
    message: string,
  ) {
    super(message);
    this.name = 'AllocationError';
  }
}

/** The values a stored Service holds: its cluster IPs and its node ports (health check included). */
export function heldValues(svc: Service): { ips: string[]; ports: number[] } {
  const spec = svc.spec ?? {};
  const ips = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== 'None');
  const ports = (spec.ports ?? []).map((p) => p.nodePort ?? 0).filter((p) => p > 0);
  if (spec.healthCheckNodePort) ports.push(spec.healthCheckNodePort);
  return { ips, ports: [...new Set(ports)] };
}

/** One pool: a bitmap over the range plus who holds each taken offset. */
class Pool {
  readonly bitmap: RangeAllocator;
  readonly holders = new Map<number, Holder>();
  constructor(size: number, band: number, random: (() => number) | undefined) {
    this.bitmap = new RangeAllocator(size, { staticBand: band, ...(random ? { random } : {}) });
  }
  take(offset: number, holder: Holder): void {
    this.bitmap.allocate(offset);
    this.holders.set(offset, holder);
  }
  release(offset: number, uid: string): void {
    if (this.holders.get(offset)?.uid !== uid) return;
    this.holders.delete(offset);
    this.bitmap.release(offset);
  }
}

/** Options of a ServiceAllocator. */
export interface ServiceAllocatorOptions {
  ipRange: ServiceIPRange;
  portRange: PortRange;
  /** The bitmaps' random source (tests); default Math.random. */
  random?: () => number;
  /** Told about stored Services that share a value or lie outside the ranges; default: ignored. */
  onWarning?: (message: string) => void;
  /** The clock reservations are dated by (orphans expire); default Date.now. */
  now?: () => number;
}

/**
 * The ClusterIPs and NodePorts taken, kept in memory and derived from the stored Services
 * themselves (there is no separate allocation record that could drift from them):
 *
 * - `start()` lists every Service before the API serves a request, then watches from the list's
 *   revision; a DELETED event frees what that Service (by uid) held, whichever path deleted it
 *   (a request, the garbage collector, a namespace's termination).
 * - Creates and updates reserve here synchronously, before their store write, and commit or
 *   revert after it (`ServiceHook`), so two requests racing for an address cannot both get
 *   it. After a crash nothing is lost: a reservation whose Service was never written is simply
 *   gone, and a restart rebuilds from what was written, so nothing leaks and nothing is handed
 *   out twice.
 * - A requested value held by a Service whose deletion has not reached the watch yet is checked
 *   against the store and taken over, so delete-then-recreate with the same address works.
 *
 * Within one process that is enough; API servers sharing etcd also reserve each value in the
 * store (`ServiceReservations`, Kubernetes' IPAddress objects) before the Service's write, so
 * two servers never both hand it out: a value another server reserved is marked taken here and
 * the next one tried (or, when requested, refused as allocated).
 */
export class ServiceAllocator {
  readonly ipRange: ServiceIPRange;
  readonly portRange: PortRange;
  private readonly ips: Pool;
  private readonly ports: Pool;
  private readonly store: Store;
  private readonly onWarning: (message: string) => void;
  private watcher: Watcher | undefined;
  /** Uids of Services being created (their holds are not in the store yet). */
  private readonly pending = new Set<string>();
  /** Uids of Services whose deletion this watch saw lately (their reservations are stale). */
  private readonly deleted = new Set<string>();
  private readonly reservations: ServiceReservations;

  constructor(store: Store, options: ServiceAllocatorOptions) {
    this.store = store;
    this.ipRange = options.ipRange;
    this.portRange = options.portRange;
    this.onWarning = options.onWarning ?? (() => undefined);
    this.ips = new Pool(this.ipRange.size, staticBand(this.ipRange.size, 'ip'), options.random);
    this.ports = new Pool(this.portRange.size, staticBand(this.portRange.size, 'port'), options.random);
    this.reservations = new ServiceReservations(store, {
      holders: 'services',
      now: options.now ?? Date.now,
      deleted: async (uid) => {
        if (this.deleted.has(uid)) return true;
        await this.watcher?.progress();
        return this.deleted.has(uid);
      },
      onWarning: this.onWarning,
    });
  }

  /** Loads what the stored Services hold, then follows deletions. */
  async start(): Promise<void> {
    const listed = await this.store.list('services');
    for (const svc of listed.items) this.adopt(svc);
    this.watcher = await this.store.watch('services', { fromRevision: listed.revision }, (event) => {
      if (event.type === 'DELETED') this.forget(event.object);
    });
  }

  /** Stops following deletions. */
  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }

  /** How many cluster IPs and node ports are taken (for tests and `explain`). */
  usage(): { ips: number; ports: number } {
    return { ips: this.ips.bitmap.allocated, ports: this.ports.bitmap.allocated };
  }

  /** Takes `requested` (or any free address) for `holder`; throws an AllocationError. */
  async allocateIP(requested: string | undefined, holder: Holder): Promise<string> {
    const at = (offset: number): string => ipAt(this.ipRange, offset);
    if (requested === undefined) return at(await this.nextReserved(this.ips, 'ip', at, holder));
    const offset = ipOffset(this.ipRange, requested);
    if (offset === undefined) {
      throw new AllocationError(
        'range',
        `provided IP is not in the valid range. The range of valid IPs is ${this.ipRange.cidr.text}`,
      );
    }
    await this.claimReserved(this.ips, 'ip', requested, offset, holder, 'provided IP is already allocated');
    return requested;
  }

  /** Takes `requested` (or any free port) for `holder`; throws an AllocationError. */
  async allocatePort(requested: number | undefined, holder: Holder): Promise<number> {
    const at = (offset: number): string => String(this.portRange.base + offset);
    if (requested === undefined)
      return this.portRange.base + (await this.nextReserved(this.ports, 'port', at, holder));
    const offset = requested - this.portRange.base;
    if (!(offset >= 0 && offset < this.portRange.size)) {
      throw new AllocationError(
        'range',
        `provided port is not in the valid range. The range of valid ports is ${this.portRange.text}`,
      );
    }
    const taken = 'provided port is already allocated';
    await this.claimReserved(this.ports, 'port', String(requested), offset, holder, taken);
    return requested;
  }

  /** A free offset whose value the store also lets `holder` reserve; others' are marked taken. */
  private async nextReserved(
    pool: Pool,
    kind: 'ip' | 'port',
    at: (offset: number) => string,
    holder: Holder,
  ): Promise<number> {
    for (;;) {
      const offset = await this.next(pool);
      pool.holders.set(offset, holder);
      const reserved = await this.reservations.reserve(kind, at(offset), holder);
      if (reserved === true) return offset;
      // Another server's Service holds it: known taken here until its deletion is seen.
      pool.holders.set(offset, reserved);
    }
  }

  /** `claim`, then the store's reservation; a value another server reserved is refused. */
  private async claimReserved(
    pool: Pool,
    kind: 'ip' | 'port',
    value: string,
    offset: number,
    holder: Holder,
    taken: string,
  ): Promise<void> {
    await this.claim(pool, offset, holder, taken);
    const reserved = await this.reservations.reserve(kind, value, holder);
    if (reserved === true) return;
    if (pool.holders.get(offset)?.uid === holder.uid) pool.holders.set(offset, reserved);
    throw new AllocationError('allocated', taken);
  }

  /** Frees an address if `uid` holds it. */
  releaseIP(ip: string, uid: string): void {
    const offset = ipOffset(this.ipRange, ip);
    if (offset !== undefined) this.ips.release(offset, uid);
    this.reservations.release('ip', ip, uid);
  }

  /** Frees a port if `uid` holds it. */
  releasePort(port: number, uid: string): void {
    this.ports.release(port - this.portRange.base, uid);
    this.reservations.release('port', String(port), uid);
  }

  /** True when `uid` holds the port (an update keeping its node ports claims nothing new). */
  holdsPort(port: number, uid: string): boolean {
    return this.ports.holders.get(port - this.portRange.base)?.uid === uid;
  }

  /**
   * Takes a free offset. When none is free, deletions already committed may not have reached
   * the watch yet (it follows the store through the watch cache): they are let in first.
   */
  private async next(pool: Pool): Promise<number> {
    let offset = pool.bitmap.allocateNext();
    if (offset === undefined) {
      await this.watcher?.progress();
      offset = pool.bitmap.allocateNext();
    }
    if (offset === undefined) throw new AllocationError('full', 'range is full');
    return offset;
  }

  /**
   * Takes a specific offset. When another Service holds it, the store says whether that
   * Service still exists; if it is gone (its DELETED event is on its way) the offset is taken
   * over. The holder is read again after the await, since another request may have moved first.
   */
  private async claim(pool: Pool, offset: number, holder: Holder, taken: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = pool.holders.get(offset);
      if (current === undefined) {
        pool.take(offset, holder);
        return;
      }
      if (current.uid === holder.uid) return;
      const stored = await this.store.get('services', current.namespace, current.name);
      if (pool.holders.get(offset) !== current) continue;
      if (stored !== undefined && stored.metadata.uid === current.uid) break;
      // A pending create also has no stored object yet: only a holder whose object exists
      // under another uid, or none, and that is not being created now, is stale.
      if (this.pending.has(current.uid)) break;
      pool.release(offset, current.uid);
    }
    throw new AllocationError('allocated', taken);
  }

  /** Marks a create in flight, so that its holds are never taken for stale ones. */
  beginCreate(uid: string): void {
    this.pending.add(uid);
  }

  /** Ends a create (stored or failed). */
  endCreate(uid: string): void {
    this.pending.delete(uid);
  }

  private adopt(object: KubeObject): void {
    const svc = object as Service & KubeObject;
    const holder: Holder = {
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name ?? '',
      uid: object.metadata.uid ?? '',
    };
    const { ips, ports } = heldValues(svc);
    const who = `${holder.namespace}/${holder.name}`;
    for (const ip of ips) {
      const offset = ipOffset(this.ipRange, ip);
      if (offset === undefined) {
        this.onWarning(`Service ${who}: cluster IP ${ip} is not within ${this.ipRange.cidr.text}`);
      } else if (this.ips.holders.has(offset)) {
        this.onWarning(`Service ${who}: cluster IP ${ip} is also held by another Service`);
      } else {
        this.ips.take(offset, holder);
      }
    }
    for (const port of ports) {
      const offset = port - this.portRange.base;
      if (offset < 0 || offset >= this.portRange.size) {
        this.onWarning(`Service ${who}: node port ${port} is not within ${this.portRange.text}`);
      } else if (this.ports.holders.has(offset) && this.ports.holders.get(offset)?.uid !== holder.uid) {
        this.onWarning(`Service ${who}: node port ${port} is also held by another Service`);
      } else {
        this.ports.take(offset, holder);
      }
    }
  }

  private forget(object: KubeObject): void {
    const uid = object.metadata.uid ?? '';
    this.deleted.add(uid);
    if (this.deleted.size > 10_000) this.deleted.delete(this.deleted.values().next().value as string);
    const { ips, ports } = heldValues(object as Service & KubeObject);
    for (const ip of ips) this.releaseIP(ip, uid);
    for (const port of ports) this.releasePort(port, uid);
  }
}
