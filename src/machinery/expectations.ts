import type { Clock } from '../common/clock.js';

interface Expectation {
  adds: number;
  deletes: Set<string>;
  at: number;
}

/** How long an unmet expectation blocks a controller before it acts anyway (Kubernetes: 5 min). */
const EXPECTATION_TTL_MS = 5 * 60_000;

/**
 * Kubernetes' controller expectations: after a controller creates N pods or deletes some, it
 * waits until its cache has seen those creations and deletions before it counts pods again,
 * so that a slow watch never makes it create duplicates or delete twice. Creations are counted;
 * deletions are tracked by pod key, so a repeated delete event changes nothing. Pure.
 */
export class Expectations {
  private readonly clock: Clock;
  private readonly byKey = new Map<string, Expectation>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Records that `adds` creations and the deletion of `deletes` (pod keys) are on their way. */
  expect(key: string, adds: number, deletes: string[] = []): void {
    const e = this.byKey.get(key) ?? { adds: 0, deletes: new Set<string>(), at: 0 };
    e.adds += adds;
    for (const d of deletes) e.deletes.add(d);
    e.at = this.clock.now();
    this.byKey.set(key, e);
  }

  /** The cache saw one of the expected creations (or one failed and will not come). */
  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e && e.adds > 0) e.adds--;
  }

  /** The cache saw a pod go (or its deletion failed and will not come). */
  deletionObserved(key: string, podKey: string): void {
    this.byKey.get(key)?.deletes.delete(podKey);
  }

  /** True when nothing is pending for `key` (or what is pending is too old to wait for). */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return this.clock.now() - e.at > EXPECTATION_TTL_MS;
  }

  /** Forgets a key (its owner is gone). */
  delete(key: string): void {
    this.byKey.delete(key);
  }
}
