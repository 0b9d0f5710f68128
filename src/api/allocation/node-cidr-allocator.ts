/**
 * Node pod ranges (`spec.podCIDR`), allocated when a Node is created, as kube-controller-
 * manager's node IPAM range allocator gives them, but in the registry as the Service
 * allocator gives ClusterIPs, so a Node is never stored without its range and the design's
 * soundness argument (`service-allocator.ts`) holds: the bitmap is derived from the stored
 * Nodes at start, a DELETED event frees the Node's block, a create reserves synchronously
 * before its store write and reverts on failure. A restart rebuilds from what was written:
 * nothing leaks, nothing is given twice.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../common/kube-object.js';
import type { Store, Watcher } from '../../store/index.js';
import { internalError, invalid } from '../errors.js';
import type { HookFinish, RegistryHook } from '../registry-hooks.js';
import { podCidrAt, podCidrOffset, type PodCidrs } from './pod-cidrs.js';
import { ServiceReservations } from './service-reservations.js';
import { RangeAllocator } from './range-allocator.js';

type NodeObject = Node & KubeObject;

/** See the file comment. */
export class NodeCidrAllocator implements RegistryHook {
  private readonly bitmap: RangeAllocator;
  /** Node uid by offset. */
  private readonly holders = new Map<number, string>();
  private watcher: Watcher | undefined;
  /** Uids of Nodes whose deletion this watch saw lately (their reservations are stale). */
  private readonly deleted = new Set<string>();
  /** The blocks in the store too, for API servers sharing it (see ServiceReservations). */
  private readonly reservations: ServiceReservations;

  constructor(
    private readonly store: Store,
    readonly ranges: PodCidrs,
    private readonly onWarning: (message: string) => void = () => undefined,
  ) {
    // Lowest block first, as the node IPAM controller gives them.
    this.bitmap = new RangeAllocator(ranges.size, { random: () => 0 });
    this.reservations = new ServiceReservations(store, {
      holders: 'nodes',
      now: Date.now,
      deleted: async (uid) => {
        if (this.deleted.has(uid)) return true;
        await this.watcher?.progress();
        return this.deleted.has(uid);
      },
      onWarning,
    });
  }

  /** Loads the blocks of the stored Nodes, then follows deletions. */
  async start(): Promise<void> {
    const listed = await this.store.list('nodes');
    for (const n of listed.items as NodeObject[]) {
      const cidr = n.spec?.podCIDR;
      if (cidr === undefined) continue;
      const offset = podCidrOffset(this.ranges, cidr);
      if (offset === undefined) continue; // set by hand outside the cluster range: not ours
      if (this.holders.has(offset))
        this.onWarning(`Node ${n.metadata.name}: podCIDR ${cidr} is also another Node's`);
      else this.take(offset, n.metadata.uid ?? '');
    }
    this.watcher = await this.store.watch('nodes', { fromRevision: listed.revision }, (event) => {
      if (event.type === 'DELETED') this.forget(event.object as NodeObject);
    });
  }

  /** Stops following deletions. */
  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }

  /** How many node blocks are taken. */
  usage(): number {
    return this.bitmap.allocated;
  }

  /** Fills `spec.podCIDR`/`podCIDRs` of a new Node, or claims the block it asks for. */
  async beginCreate(object: KubeObject, options: { dryRun: boolean }): Promise<HookFinish> {
    const node = object as NodeObject;
    const uid = node.metadata.uid ?? '';
    const requested = node.spec?.podCIDR ?? node.spec?.podCIDRs?.[0];
    let offset: number | undefined;
    const holder = { namespace: '', name: node.metadata.name ?? '', uid };
    if (requested === undefined || requested === '') {
      for (;;) {
        offset = this.bitmap.allocateNext();
        if (offset === undefined) {
          await this.watcher?.progress();
          offset = this.bitmap.allocateNext();
        }
        if (offset === undefined)
          throw internalError(`failed to allocate a pod CIDR: ${this.ranges.cidr.text} is full`);
        this.holders.set(offset, uid);
        const reserved = await this.reservations.reserve('podCidr', podCidrAt(this.ranges, offset), holder);
        if (reserved === true) break;
        // Another server's Node holds it: taken here until that Node's deletion is seen.
        this.holders.set(offset, reserved.uid);
      }
    } else {
      offset = podCidrOffset(this.ranges, requested);
      if (offset !== undefined) {
        if (this.holders.has(offset)) {
          await this.watcher?.progress();
          if (this.holders.has(offset))
            throw refuse(node, requested, 'provided pod CIDR is already allocated');
        }
        this.take(offset, uid);
        const reserved = await this.reservations.reserve('podCidr', podCidrAt(this.ranges, offset), holder);
        if (reserved !== true) {
          this.holders.set(offset, reserved.uid);
          throw refuse(node, requested, 'provided pod CIDR is already allocated');
        }
      }
    }
    const cidr = offset === undefined ? (requested as string) : podCidrAt(this.ranges, offset);
    node.spec = { ...node.spec, podCIDR: cidr, podCIDRs: [cidr] };
    const taken = offset;
    return (stored) => {
      if (taken !== undefined && (!stored || options.dryRun)) this.release(taken, uid);
    };
  }

  /** Keeps the Node's block: put back when left out, refused when changed (Kubernetes' rule). */
  beginUpdate(object: KubeObject, old: KubeObject, options: { dryRun: boolean }): Promise<HookFinish> {
    const node = object as NodeObject;
    const before = (old as NodeObject).spec?.podCIDR;
    const asked = node.spec?.podCIDR;
    // A Node stored before pod ranges were allocated gets one on its next update.
    if (before === undefined || before === '') return this.beginCreate(object, options);
    if (asked !== undefined && asked !== '' && asked !== before) {
      throw refuse(node, asked, `node updates may not change podCIDR except from "" to valid`);
    }
    node.spec = { ...node.spec, podCIDR: before, podCIDRs: (old as NodeObject).spec?.podCIDRs ?? [before] };
    return Promise.resolve(() => undefined);
  }

  private take(offset: number, uid: string): void {
    this.bitmap.allocate(offset);
    this.holders.set(offset, uid);
  }

  private release(offset: number, uid: string): void {
    this.reservations.release('podCidr', podCidrAt(this.ranges, offset), uid);
    if (this.holders.get(offset) !== uid) return;
    this.holders.delete(offset);
    this.bitmap.release(offset);
  }

  private forget(node: NodeObject): void {
    const uid = node.metadata.uid ?? '';
    this.deleted.add(uid);
    if (this.deleted.size > 10_000) this.deleted.delete(this.deleted.values().next().value as string);
    const offset =
      node.spec?.podCIDR === undefined ? undefined : podCidrOffset(this.ranges, node.spec.podCIDR);
    if (offset !== undefined) this.release(offset, node.metadata.uid ?? '');
  }
}

function refuse(node: NodeObject, value: string, message: string) {
  return invalid('Node', node.metadata.name ?? '', '', [
    { reason: 'FieldValueInvalid', field: 'spec.podCIDR', message: `Invalid value: "${value}": ${message}` },
  ]);
}
