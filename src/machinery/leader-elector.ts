import type { KubeObject } from '../common/kube-object.js';
import { systemClock, type Clock } from '../common/clock.js';
import { StatusError, type KubeClient } from '../client/index.js';
import {
  decideLease,
  leaseRecordFromSpec,
  leaseSpecFromRecord,
  observedTime,
  renewDeadlinePassed,
  type LeaseObservation,
} from './lease-decision.js';

/** Kubernetes' defaults (kube-controller-manager's and kube-scheduler's `--leader-elect-*`). */
export const LEADER_ELECTION_DEFAULTS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** Lease timings of a LeaderElector; each defaults to `LEADER_ELECTION_DEFAULTS`. */
export interface LeaderElectionTimings {
  /** How long a holder's lease lasts after its last renewal, as others see it. */
  leaseDurationMs?: number;
  /** How long a leader keeps acting without a successful renewal; shorter than the lease. */
  renewDeadlineMs?: number;
  /** How often candidates try to acquire and the leader renews. */
  retryPeriodMs?: number;
}

/** Options of a LeaderElector. */
export interface LeaderElectorOptions extends LeaderElectionTimings {
  /** Writes the Lease (the identity needs get, create and update on leases in `namespace`). */
  client: KubeClient;
  /** The Lease's name: one per component (`stratus-controller-manager`, `stratus-scheduler`). */
  name: string;
  /** Default `kube-system`, where Kubernetes' components keep theirs. */
  namespace?: string;
  /** Who this candidate is (client-go: `hostname_uuid`); unique among the candidates. */
  identity: string;
  /** Default: the system clock (the pure decision reads it; waiting uses timers). */
  clock?: Clock;
  /** Called on acquiring the lease: start acting. Renewal goes on while it runs. */
  onStartedLeading?: () => Promise<void> | void;
  /** Called after losing the lease (or on close while leading): stop acting. */
  onStoppedLeading?: () => Promise<void> | void;
  /** Failed Lease reads and writes, and a failed `onStartedLeading`; default: ignored. */
  onError?: (err: unknown) => void;
  /**
   * Watch the Lease between tries, so that changes are observed when made (default true); a
   * Lease only this candidate ever holds (a server's own) needs no watch.
   */
  watch?: boolean;
}

/**
 * client-go's leaderelection on a `coordination.k8s.io/v1` Lease, so that a component several
 * servers run (the controllers, the scheduler) acts on one of them only. Candidates try every
 * retry period to acquire; the holder renews every retry period and stops acting once it could
 * not renew within the renew deadline (shorter than the lease, so it stops before another may
 * take over), then goes back to trying. Writes carry the resourceVersion read, so two
 * candidates never both win. `close()` stops acting and releases the lease (holder emptied,
 * duration 1 s, as client-go's ReleaseOnCancel) so that another takes over at its next try.
 */
export class LeaderElector {
  private readonly namespace: string;
  private readonly timings: Required<LeaderElectionTimings>;
  private readonly clock: Clock;
  private observed: LeaseObservation | undefined;
  private lastObject: KubeObject | undefined;
  /** When the lease another holds expires as this candidate sees it, from the last try. */
  private expiresAtMs: number | undefined;
  private closed = false;
  private isLeading = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private following: Promise<void> | undefined;
  private readonly stopFollowing = new AbortController();

  constructor(private readonly options: LeaderElectorOptions) {
    this.namespace = options.namespace ?? 'kube-system';
    this.clock = options.clock ?? systemClock;
    this.timings = {
      leaseDurationMs: options.leaseDurationMs ?? LEADER_ELECTION_DEFAULTS.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs,
    };
    if (!(this.timings.renewDeadlineMs < this.timings.leaseDurationMs))
      throw new RangeError('the renew deadline must be shorter than the lease duration');
    if (!(this.timings.retryPeriodMs < this.timings.renewDeadlineMs))
      throw new RangeError('the retry period must be shorter than the renew deadline');
  }

  /** Whether this candidate holds the lease and acts. */
  get leading(): boolean {
    return this.isLeading;
  }

  /** Starts trying to acquire in the background. */
  start(): void {
    this.loop ??= this.run();
    if (this.options.watch !== false) this.following ??= this.follow();
  }

  /** Stops acting (awaiting `onStoppedLeading`), releases a held lease and stops trying. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.stopFollowing.abort();
    await this.loop;
    await this.following;
  }

  /**
   * Watches the Lease so that a change is observed when it is written, not at the next retry:
   * client-go counts the lease duration from when a candidate *observed* the last change (never
   * from the stored renewTime, which another clock wrote), and polling every retry period sees a
   * renewal up to a period late, which pushes a takeover up to a period past the lease duration
   * after the holder's last renewal. The decision rule is unchanged; only the observation is
   * prompt. Polling still runs, so a broken watch only delays observations as before.
   */
  private async follow(): Promise<void> {
    const { client, name } = this.options;
    while (!this.closed) {
      try {
        for await (const event of client.watch('leases', {
          namespace: this.namespace,
          fieldSelector: `metadata.name=${name}`,
          signal: this.stopFollowing.signal,
        })) {
          if (event.type !== 'ADDED' && event.type !== 'MODIFIED') continue;
          const spec = event.object['spec'] as Record<string, unknown> | undefined;
          const record = leaseRecordFromSpec(spec);
          const now = this.clock.now();
          this.observed = { record, observedAtMs: observedTime(record, this.observed, now) };
        }
      } catch (err) {
        if (!this.closed) this.options.onError?.(err);
      }
      if (!this.closed) await this.pause(this.timings.retryPeriodMs);
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (!(await this.tryAcquireOrRenew())) {
        // Try again a retry period on, or just after the holder's lease expires if sooner, so a
        // takeover comes one lease duration after the holder's last renewal, not a retry later.
        const untilExpiry =
          this.expiresAtMs === undefined ? Infinity : this.expiresAtMs - this.clock.now() + 1;
        await this.sleep(Math.max(1, Math.min(this.jittered(), untilExpiry)));
        continue;
      }
      this.isLeading = true;
      let failed = false;
      const started = Promise.resolve()
        .then(() => this.options.onStartedLeading?.())
        .catch((err: unknown) => {
          failed = true;
          this.options.onError?.(err);
        });
      let lastRenew = this.clock.now();
      while (!this.closed && !failed) {
        await this.sleep(this.timings.retryPeriodMs);
        if (this.closed || failed) break;
        if (await this.tryAcquireOrRenew(this.timings.renewDeadlineMs - (this.clock.now() - lastRenew))) {
          lastRenew = this.clock.now();
        } else if (renewDeadlinePassed(lastRenew, this.clock.now(), this.timings.renewDeadlineMs)) {
          break;
        }
      }
      await started;
      this.isLeading = false;
      try {
        await this.options.onStoppedLeading?.();
      } catch (err) {
        this.options.onError?.(err);
      }
      if (this.closed || failed) await this.release();
      if (failed) await this.sleep(this.timings.retryPeriodMs);
    }
  }

  /** One try; false when another holds the lease, the write lost a race, or the API failed. */
  private async tryAcquireOrRenew(timeoutMs = this.timings.renewDeadlineMs): Promise<boolean> {
    try {
      return await withTimeout(this.attempt(), Math.max(timeoutMs, 1));
    } catch (err) {
      this.options.onError?.(err);
      return false;
    }
  }

  private async attempt(): Promise<boolean> {
    const { client, name, identity } = this.options;
    this.expiresAtMs = undefined;
    let object: KubeObject | undefined;
    try {
      object = await client.get('leases', name, { namespace: this.namespace });
    } catch (err) {
      if (!(err instanceof StatusError && err.status === 404)) throw err;
    }
    const now = this.clock.now();
    const stored =
      object === undefined ? undefined : leaseRecordFromSpec(object['spec'] as Record<string, unknown>);
    const decision = decideLease(stored, {
      identity,
      leaseDurationSeconds: Math.ceil(this.timings.leaseDurationMs / 1000),
      nowMs: now,
      ...(this.observed !== undefined ? { observed: this.observed } : {}),
    });
    if (stored !== undefined)
      this.observed = { record: stored, observedAtMs: observedTime(stored, this.observed, now) };
    this.expiresAtMs = decision.action === 'wait' ? decision.expiresAtMs : undefined;
    if (decision.action === 'wait') return false;
    const spec = leaseSpecFromRecord(decision.record);
    try {
      this.lastObject =
        decision.action === 'create' || object === undefined
          ? await client.create('leases', {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: { name, namespace: this.namespace },
              spec,
            })
          : await client.update('leases', { ...object, spec });
    } catch (err) {
      // Another candidate wrote first: it won this round.
      if (err instanceof StatusError && (err.status === 409 || err.reason === 'AlreadyExists')) return false;
      throw err;
    }
    this.observed = { record: decision.record, observedAtMs: now };
    return true;
  }

  /** Gives the lease up so that another candidate takes it at its next try. */
  private async release(): Promise<void> {
    const object = this.lastObject;
    if (object === undefined || this.observed?.record.holderIdentity !== this.options.identity) return;
    const now = this.clock.now();
    const record = {
      ...this.observed.record,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTimeMs: now,
      acquireTimeMs: now,
    };
    try {
      await withTimeout(
        this.options.client.update('leases', { ...object, spec: leaseSpecFromRecord(record) }),
        this.timings.retryPeriodMs,
      );
    } catch (err) {
      this.options.onError?.(err);
    }
    this.lastObject = undefined;
  }

  /** client-go's wait.JitterUntil with factor 1.2 for candidates. */
  private jittered(): number {
    return this.timings.retryPeriodMs * (1 + Math.random() * 0.2);
  }

  /** A wait of the watch loop's own, which `close()` cuts short through the abort signal. */
  private pause(ms: number): Promise<void> {
    const signal = this.stopFollowing.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  private sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the API within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
