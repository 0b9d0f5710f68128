/**
 * A bitmap over the offsets `0 … size-1` of a range (Service IPs, NodePorts), as
 * kube-apiserver's allocator keeps one: a taken offset is a set bit. Offsets below
 * `staticBand` are left for values users ask for by number: a dynamic allocation starts at a
 * random offset of the upper band and only falls back to the lower band when the upper one is
 * full (Kubernetes' ServiceIPStaticSubrange and ServiceNodePortStaticSubrange). Pure.
 */
export class RangeAllocator {
  readonly size: number;
  readonly staticBand: number;
  private readonly bits: Uint8Array;
  private readonly random: () => number;
  private used = 0;

  /**
   * `staticBand` defaults to none; `random` (returning [0, 1)) to Math.random, injectable so
   * tests can pick the scan's start.
   */
  constructor(size: number, options: { staticBand?: number; random?: () => number } = {}) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`range size must be positive, not ${size}`);
    this.size = size;
    this.staticBand = Math.min(options.staticBand ?? 0, size);
    this.bits = new Uint8Array(size);
    this.random = options.random ?? Math.random;
  }

  /** How many offsets are taken. */
  get allocated(): number {
    return this.used;
  }

  /** True when the offset is taken. */
  has(offset: number): boolean {
    return this.bits[offset] === 1;
  }

  /** Takes one offset; false when it is taken already. A RangeError outside the range. */
  allocate(offset: number): boolean {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.size) {
      throw new RangeError(`offset ${offset} is outside 0-${this.size - 1}`);
    }
    if (this.bits[offset] === 1) return false;
    this.bits[offset] = 1;
    this.used++;
    return true;
  }

  /** Takes a free offset (upper band first, from a random start), or undefined when full. */
  allocateNext(): number | undefined {
    const found = this.scan(this.staticBand, this.size) ?? this.scan(0, this.staticBand);
    if (found !== undefined) this.allocate(found);
    return found;
  }

  /** Frees an offset (a no-op when it is free or outside the range). */
  release(offset: number): void {
    if (offset >= 0 && offset < this.size && this.bits[offset] === 1) {
      this.bits[offset] = 0;
      this.used--;
    }
  }

  /** The first free offset of [from, to) scanning from a random point and wrapping around. */
  private scan(from: number, to: number): number | undefined {
    const span = to - from;
    if (span <= 0) return undefined;
    const start = Math.floor(this.random() * span);
    for (let i = 0; i < span; i++) {
      const offset = from + ((start + i) % span);
      if (this.bits[offset] === 0) return offset;
    }
    return undefined;
  }
}
