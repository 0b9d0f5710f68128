import type { Clock } from '../common/clock.js';

/** Kubernetes' crash back-off figures, in milliseconds. */
export interface BackoffOptions {
  /** First delay; default 10 s. */
  initialMs?: number;
  /** Cap; default 300 s (5 min), as kubelet's MaxContainerBackOff. */
  maxMs?: number;
  /** A container that ran this long without failing starts over at the first delay; default 10 min. */
  resetAfterMs?: number;
}

/**
 * The back-off kubelet applies between restarts of a crashing container (CrashLoopBackOff): 10 s,
 * doubling per restart, capped at 5 min, forgotten once the container has run 10 minutes. Pure
 * state driven by a Clock, keyed by whatever the caller picks (pod uid + container name). The
 * agent calls `recordExit` when a container exits and asks `nextStart` when it may restart.
 */
export class CrashBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;
  private readonly entries = new Map<string, { delayMs: number; notBefore: number }>();

  constructor(
    private readonly clock: Clock,
    options: BackoffOptions = {},
  ) {
    this.initialMs = options.initialMs ?? 10_000;
    this.maxMs = options.maxMs ?? 300_000;
    this.resetAfterMs = options.resetAfterMs ?? 600_000;
  }

  /**
   * A container exited after running since `startedAtMs`: the next delay doubles, or starts
   * over when it ran at least `resetAfterMs`. Returns the delay before it may restart.
   */
  recordExit(key: string, startedAtMs: number): number {
    const now = this.clock.now();
    const prev = this.entries.get(key);
    const ranLong = now - startedAtMs >= this.resetAfterMs;
    const delayMs = prev === undefined || ranLong ? this.initialMs : Math.min(prev.delayMs * 2, this.maxMs);
    this.entries.set(key, { delayMs, notBefore: now + delayMs });
    return delayMs;
  }

  /** Milliseconds the key must still wait before a restart; 0 when it may restart now. */
  remainingMs(key: string): number {
    const e = this.entries.get(key);
    return e === undefined ? 0 : Math.max(0, e.notBefore - this.clock.now());
  }

  /** True while the key waits out its back-off: the agent reports `CrashLoopBackOff`. */
  inBackoff(key: string): boolean {
    return this.remainingMs(key) > 0;
  }

  /** The delay last applied to the key, for the `back-off 40s restarting failed container` message. */
  currentDelayMs(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Forgets the key (the pod is gone). */
  forget(key: string): void {
    this.entries.delete(key);
  }
}
