/**
 * In-flight counts that every thread of the node data plane sees: one Int32 per
 * (listener, endpoint) slot in a SharedArrayBuffer, changed with Atomics. The main thread
 * assigns slots in each configuration it sends; a slot is reused only once its endpoint is
 * gone and its count is back at zero, so a late release never lands on a newcomer.
 */
import type { ActiveCounts } from '../endpoint-pool.js';

/** Slots available to one data plane. */
export const SLOT_COUNT = 65_536;

/** A listener's view of the shared counts: endpoint id → slot. */
export class SlotCounts implements ActiveCounts {
  private slots: ReadonlyMap<string, number>;

  constructor(
    private readonly cells: Int32Array,
    slots: Record<string, number>,
  ) {
    this.slots = new Map(Object.entries(slots));
  }

  /** Takes the slots of a new configuration (endpoints that stay keep theirs). */
  setSlots(slots: Record<string, number>): void {
    this.slots = new Map(Object.entries(slots));
  }

  get(endpointId: string): number {
    const slot = this.slots.get(endpointId);
    return slot === undefined ? 0 : Atomics.load(this.cells, slot);
  }

  add(endpointId: string, delta: number): void {
    const slot = this.slots.get(endpointId);
    if (slot !== undefined) Atomics.add(this.cells, slot, delta);
  }
}

/** The main thread's book of slots. */
export class SlotAllocator {
  private readonly assigned = new Map<string, number>();
  private readonly retired = new Set<number>();
  private readonly free: number[] = [];
  private next = 0;

  constructor(private readonly cells: Int32Array) {}

  /** The slots of `listener`'s endpoints, assigning new ones; endpoints not named are retired. */
  assign(listener: string, endpointIds: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const id of endpointIds) {
      const key = `${listener}\u0000${id}`;
      let slot = this.assigned.get(key);
      if (slot === undefined) {
        slot = this.take();
        this.assigned.set(key, slot);
      }
      out[id] = slot;
    }
    return out;
  }

  /** Retires every slot not in `keep` (keys `listener\0id`), to be reused once idle. */
  retainOnly(keep: ReadonlySet<string>): void {
    for (const [key, slot] of this.assigned) {
      if (keep.has(key)) continue;
      this.assigned.delete(key);
      this.retired.add(slot);
    }
    for (const slot of this.retired) {
      if (Atomics.load(this.cells, slot) !== 0) continue;
      this.retired.delete(slot);
      this.free.push(slot);
    }
  }

  private take(): number {
    const slot = this.free.pop() ?? this.next++;
    if (slot >= this.cells.length)
      throw new RangeError(`more than ${this.cells.length} endpoints in one data plane`);
    return slot;
  }
}
