/**
 * Buffers of one size kept for reuse, up to `max`, and let go after `idleMs` without use. On the
 * VMs Stratus runs on, the first touch of fresh memory costs more than copying it, and buffers
 * dropped for the garbage collector linger (V8 frees external memory tens of MiB at a time): a
 * pool sized for the concurrency bounds both, and gives the memory back when the load stops.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly size: number,
    private readonly max: number,
    private readonly idleMs = 10_000,
  ) {}

  take(): ArrayBuffer {
    this.touch();
    return this.free.pop() ?? new ArrayBuffer(this.size);
  }

  /** Keeps a buffer (of this pool's size, while there is room) for the next `take`. */
  give(buf: ArrayBuffer): void {
    if (buf.byteLength !== this.size || this.free.length >= this.max) return;
    this.free.push(buf);
    this.touch();
  }

  /** How many buffers are kept now. */
  kept(): number {
    return this.free.length;
  }

  clear(): void {
    this.free.length = 0;
  }

  private touch(): void {
    if (this.timer !== undefined) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.clear();
    }, this.idleMs);
    this.timer.unref();
  }
}
