import type { Clock } from '../common/clock.js';

/** The timing and threshold fields of a Kubernetes Probe, with Kubernetes' defaults. */
export interface ProbeTiming {
  /** Default 0. */
  initialDelaySeconds?: number;
  /** Default 10. */
  periodSeconds?: number;
  /** Default 1 (and must be 1 for liveness and startup probes). */
  successThreshold?: number;
  /** Default 3. */
  failureThreshold?: number;
}

/** What one probe currently says about its container. */
export type ProbeVerdict = 'unknown' | 'success' | 'failure';

/**
 * One probe's thresholds as a state machine, driven by results and a Clock. `due()` says whether
 * a probe attempt should run now (after `initialDelaySeconds`, then every `periodSeconds`);
 * `record()` feeds its result; `verdict` flips to success after `successThreshold` consecutive
 * successes and to failure after `failureThreshold` consecutive failures. For readiness the
 * initial verdict is failure (not ready), for liveness and startup unknown; the agent restarts a
 * container when liveness or startup says failure, and marks it ready while readiness says success.
 *
 * Attempts after the first fall on a ticker anchored at `anchorMs` (default: the first attempt),
 * as the kubelet's probe worker ticks from when it first saw the pod rather than from when the
 * container started: a first attempt that failed because the program was still starting is
 * retried at the next tick, less than a period later.
 */
export class ProbeState {
  private readonly initialDelayMs: number;
  private readonly periodMs: number;
  private readonly successThreshold: number;
  private readonly failureThreshold: number;
  private nextAt: number;
  private readonly anchorMs: number;
  private successes = 0;
  private failures = 0;
  private current: ProbeVerdict;
  private lastMessage = '';

  constructor(
    private readonly clock: Clock,
    timing: ProbeTiming = {},
    options: { startedAtMs?: number; anchorMs?: number; initial?: ProbeVerdict } = {},
  ) {
    this.initialDelayMs = (timing.initialDelaySeconds ?? 0) * 1000;
    this.periodMs = Math.max(1, timing.periodSeconds ?? 10) * 1000;
    this.successThreshold = Math.max(1, timing.successThreshold ?? 1);
    this.failureThreshold = Math.max(1, timing.failureThreshold ?? 3);
    this.nextAt = (options.startedAtMs ?? clock.now()) + this.initialDelayMs;
    this.anchorMs = options.anchorMs ?? this.nextAt;
    this.current = options.initial ?? 'unknown';
  }

  /** True when the next attempt is due. */
  due(): boolean {
    return this.clock.now() >= this.nextAt;
  }

  /** Milliseconds until the next attempt is due (0 when due). */
  msUntilDue(): number {
    return Math.max(0, this.nextAt - this.clock.now());
  }

  /** Feeds one attempt's result; returns the verdict after it. */
  record(success: boolean, message = ''): ProbeVerdict {
    const ticks = Math.max(1, Math.floor((this.clock.now() - this.anchorMs) / this.periodMs) + 1);
    this.nextAt = this.anchorMs + ticks * this.periodMs;
    this.lastMessage = message;
    if (success) {
      this.failures = 0;
      this.successes++;
      if (this.successes >= this.successThreshold) this.current = 'success';
    } else {
      this.successes = 0;
      this.failures++;
      if (this.failures >= this.failureThreshold) this.current = 'failure';
    }
    return this.current;
  }

  get verdict(): ProbeVerdict {
    return this.current;
  }

  /** The message of the last attempt, for the `Unhealthy` Event. */
  get message(): string {
    return this.lastMessage;
  }

  /** Consecutive failures so far (the Event's count, `Liveness probe failed` x N). */
  get consecutiveFailures(): number {
    return this.failures;
  }
}
