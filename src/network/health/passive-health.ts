import type { Clock } from '../../common/clock.js';

/** Options of PassiveHealth. */
export interface PassiveHealthOptions {
  consecutiveFailures: number;
  ejectMs: number;
}

/**
 * Passive ejection (Envoy's outlier detection, HAProxy's `observe` + `on-error`): an endpoint
 * that fails `consecutiveFailures` times in a row (connect failures, and 5xx when the listener
 * counts them) rests for `ejectMs`, then gets traffic again; one success resets the count.
 */
export class PassiveHealth {
  private readonly failures = new Map<string, number>();
  private readonly ejectedUntil = new Map<string, number>();

  constructor(
    private readonly options: PassiveHealthOptions,
    private readonly clock: Clock,
  ) {}

  /** Records a failure; returns the time the endpoint rests until when this one ejected it. */
  failure(id: string): number | undefined {
    const n = (this.failures.get(id) ?? 0) + 1;
    this.failures.set(id, n);
    if (n < this.options.consecutiveFailures || this.isEjected(id)) return undefined;
    const until = this.clock.now() + this.options.ejectMs;
    this.eject(id, until);
    return until;
  }

  success(id: string): void {
    if (this.failures.has(id)) this.failures.delete(id);
  }

  /** Ejects until `untilMs` (also used when another thread ejected the endpoint). */
  eject(id: string, untilMs: number): void {
    this.ejectedUntil.set(id, Math.max(untilMs, this.ejectedUntil.get(id) ?? 0));
    this.failures.delete(id);
  }

  isEjected(id: string): boolean {
    const until = this.ejectedUntil.get(id);
    if (until === undefined) return false;
    if (this.clock.now() < until) return true;
    this.ejectedUntil.delete(id);
    return false;
  }

  /** Forgets endpoints that are gone. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.failures.keys()) if (!ids.has(id)) this.failures.delete(id);
    for (const id of this.ejectedUntil.keys()) if (!ids.has(id)) this.ejectedUntil.delete(id);
  }
}
