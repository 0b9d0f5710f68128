/**
 * The leader-election record a `coordination.k8s.io/v1` Lease's spec holds, in client-go's
 * terms (`LeaderElectionRecord`): who holds it, for how long, since when, and how many times it
 * changed hands. Times are milliseconds since the epoch.
 */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTimeMs: number;
  renewTimeMs: number;
  leaseTransitions: number;
}

/**
 * What this candidate last saw of the lease and when (by its own clock), as client-go's
 * `observedRecord`/`observedTime`: expiry is judged from when the record last *changed here*,
 * never from the holder's renewTime, so clocks that disagree between servers cannot make a
 * candidate take a lease early.
 */
export interface LeaseObservation {
  record: LeaseRecord;
  observedAtMs: number;
}

/** What `decideLease` says to do. */
export type LeaseDecision =
  | { action: 'create'; record: LeaseRecord }
  | { action: 'update'; record: LeaseRecord }
  | { action: 'wait'; holder: string; expiresAtMs: number };

/**
 * One step of client-go's `tryAcquireOrRenew` as a pure function: given the stored record (none
 * when the Lease does not exist), this candidate's observation of it, its identity, the lease
 * duration and the time, say whether to create the Lease, write it (acquire or renew), or wait
 * because another holder's lease has not expired. The caller writes with the resourceVersion it
 * read, so two candidates that both decide to acquire cannot both succeed.
 */
export function decideLease(
  stored: LeaseRecord | undefined,
  options: { identity: string; leaseDurationSeconds: number; nowMs: number; observed?: LeaseObservation },
): LeaseDecision {
  const { identity, leaseDurationSeconds, nowMs } = options;
  if (stored === undefined) {
    return {
      action: 'create',
      record: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTimeMs: nowMs,
        renewTimeMs: nowMs,
        leaseTransitions: 0,
      },
    };
  }
  const observedAtMs = observedTime(stored, options.observed, nowMs);
  const held = stored.holderIdentity !== '' && stored.holderIdentity !== identity;
  const expiresAtMs = observedAtMs + stored.leaseDurationSeconds * 1000;
  if (held && expiresAtMs > nowMs) return { action: 'wait', holder: stored.holderIdentity, expiresAtMs };
  const mine = stored.holderIdentity === identity;
  return {
    action: 'update',
    record: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTimeMs: mine ? stored.acquireTimeMs : nowMs,
      renewTimeMs: nowMs,
      leaseTransitions: mine ? stored.leaseTransitions : stored.leaseTransitions + 1,
    },
  };
}

/**
 * When this candidate first saw the stored record as it is now: the earlier observation's time
 * if the record has not changed since, else now (a change restarts the expiry countdown).
 */
export function observedTime(
  stored: LeaseRecord,
  observed: LeaseObservation | undefined,
  nowMs: number,
): number {
  return observed !== undefined && sameRecord(observed.record, stored) ? observed.observedAtMs : nowMs;
}

/** Two records are the same write (client-go compares the raw records). */
export function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTimeMs === b.acquireTimeMs &&
    a.renewTimeMs === b.renewTimeMs &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/**
 * Whether a leader whose last successful renewal was at `lastRenewMs` must stop acting at
 * `nowMs`: client-go's renew loop gives up once it could not renew within `renewDeadlineMs`,
 * which is shorter than the lease duration, so a leader stops before anyone else may take over.
 */
export function renewDeadlinePassed(lastRenewMs: number, nowMs: number, renewDeadlineMs: number): boolean {
  return nowMs - lastRenewMs >= renewDeadlineMs;
}

/** The record a Lease's spec holds (absent fields as Kubernetes' zero values). */
export function leaseRecordFromSpec(spec: Record<string, unknown> | undefined): LeaseRecord {
  const time = (v: unknown): number => (typeof v === 'string' ? Date.parse(v) || 0 : 0);
  return {
    holderIdentity: typeof spec?.['holderIdentity'] === 'string' ? spec['holderIdentity'] : '',
    leaseDurationSeconds:
      typeof spec?.['leaseDurationSeconds'] === 'number' ? spec['leaseDurationSeconds'] : 0,
    acquireTimeMs: time(spec?.['acquireTime']),
    renewTimeMs: time(spec?.['renewTime']),
    leaseTransitions: typeof spec?.['leaseTransitions'] === 'number' ? spec['leaseTransitions'] : 0,
  };
}

/** A Lease's spec for a record, with MicroTime timestamps (RFC 3339, microseconds). */
export function leaseSpecFromRecord(record: LeaseRecord): Record<string, unknown> {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: microTime(record.acquireTimeMs),
    renewTime: microTime(record.renewTimeMs),
    leaseTransitions: record.leaseTransitions,
  };
}

/** Kubernetes' MicroTime text for a time in milliseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}
