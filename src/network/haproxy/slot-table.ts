/**
 * Which server slot of a backend holds which endpoint. An endpoint keeps its slot for life
 * (its dynamic cookie and HAProxy's counters follow it); a freed slot is reused last-freed-last
 * so that a slot's old connections have time to end before it is given again. The table grows
 * (to the next power of two at least twice the endpoints) only when it is full, which is a
 * reload. Pure.
 */
export class SlotTable {
  private readonly slots = new Map<string, number>();
  private free: number[] = [];
  private size: number;

  constructor(endpoints = 0) {
    this.size = capacityFor(endpoints);
    this.free = Array.from({ length: this.size }, (_, i) => i + 1);
  }

  /** Slots in the backend (`s1` … `sN`). */
  get capacity(): number {
    return this.size;
  }

  slotOf(id: string): number | undefined {
    return this.slots.get(id);
  }

  /** Gives slots to `ids` (keeping those that have one), frees the rest; true when it grew. */
  assign(ids: readonly string[]): boolean {
    const keep = new Set(ids);
    for (const [id, slot] of this.slots) {
      if (keep.has(id)) continue;
      this.slots.delete(id);
      this.free.push(slot);
    }
    let grew = false;
    const missing = ids.filter((id) => !this.slots.has(id));
    if (missing.length > this.free.length) {
      const size = capacityFor(ids.length);
      for (let i = this.size + 1; i <= size; i++) this.free.push(i);
      this.size = size;
      grew = true;
    }
    for (const id of missing) this.slots.set(id, this.free.shift() as number);
    return grew;
  }
}

function capacityFor(endpoints: number): number {
  let size = 8;
  while (size < endpoints * 2) size *= 2;
  return size;
}
