import type { LifecycleFilter, LifecycleRule } from '../object-store.js';

/**
 * What a bucket's lifecycle rules ask for, as pure decisions from a key's versions and a time:
 * S3's rules (Amazon S3 User Guide, "Lifecycle configuration elements"). Days count from the
 * object's creation, or for a noncurrent version from when a newer version replaced it, and the
 * result is rounded up to the next day boundary: midnight UTC with real days, a multiple of
 * `dayMs` with the shortened days tests use. No I/O; the worker (lifecycle-worker.ts) acts.
 */

/** The length of a lifecycle day. */
export const DAY_MS = 86_400_000;

/** When something made at `fromMs` is `days` old, rounded up to the next day boundary. */
export function dueAt(fromMs: number, days: number, dayMs = DAY_MS): number {
  return Math.ceil((fromMs + days * dayMs) / dayMs) * dayMs;
}

/** What a filter sees of a version: its key, size and tags (delete markers have neither). */
export interface LifecycleSubject {
  key: string;
  size: number;
  tags?: Record<string, string> | undefined;
  deleteMarker?: boolean;
}

/**
 * Whether a filter selects a version. A delete marker has no size and no tags: only a filter
 * without tags selects it, and size conditions do not apply to it.
 */
export function filterMatches(filter: LifecycleFilter, o: LifecycleSubject): boolean {
  if (filter.prefix !== undefined && !o.key.startsWith(filter.prefix)) return false;
  if (filter.tags !== undefined && filter.tags.length > 0) {
    if (o.deleteMarker === true) return false;
    for (const t of filter.tags) if (o.tags?.[t.key] !== t.value) return false;
  }
  if (o.deleteMarker === true) return true;
  if (filter.sizeGreaterThan !== undefined && !(o.size > filter.sizeGreaterThan)) return false;
  if (filter.sizeLessThan !== undefined && !(o.size < filter.sizeLessThan)) return false;
  return true;
}

/** One version of a key as the decisions read it (`modifiedMs` is its creation). */
export interface LifecycleVersion extends LifecycleSubject {
  vid: string;
  vts: string;
  modifiedMs: number;
}

/** One thing the rules ask for on a key. */
export type LifecycleAction =
  /** The current version expired: deleted (unversioned) or hidden by a delete marker (versioned). */
  | { kind: 'expire-current'; vid: string; vts: string; rule: string }
  /** A noncurrent version is removed for good. */
  | { kind: 'delete-noncurrent'; vid: string; vts: string; rule: string }
  /** A delete marker with no other version left is removed. */
  | { kind: 'remove-marker'; vid: string; vts: string; rule: string };

/** The current version's expiry: the earliest any enabled rule gives, and that rule's id. */
export function expiryOf(
  rules: readonly LifecycleRule[],
  o: LifecycleSubject & { modifiedMs: number },
  dayMs = DAY_MS,
): { at: number; rule: string } | undefined {
  let best: { at: number; rule: string } | undefined;
  for (const r of rules) {
    const e = r.expiration;
    if (!r.enabled || e === undefined || !filterMatches(r.filter, o)) continue;
    const at =
      e.days !== undefined
        ? dueAt(o.modifiedMs, e.days, dayMs)
        : e.date !== undefined
          ? Date.parse(e.date)
          : NaN;
    if (Number.isFinite(at) && (best === undefined || at < best.at)) best = { at, rule: r.id };
  }
  return best;
}

/**
 * What the rules ask for on one key at `nowMs`, from its live versions (any order). At most one
 * action per version; level-triggered, so deciding again after the actions were applied asks
 * for nothing more (an expired current version becomes noncurrent behind its marker, whose
 * noncurrent days start then).
 */
export function keyActions(
  rules: readonly LifecycleRule[],
  versions: readonly LifecycleVersion[],
  options: { nowMs: number; dayMs?: number },
): LifecycleAction[] {
  const dayMs = options.dayMs ?? DAY_MS;
  const now = options.nowMs;
  const live = [...versions].sort((a, b) => (a.vts < b.vts ? 1 : a.vts > b.vts ? -1 : 0));
  const current = live[0];
  if (current === undefined) return [];
  const out: LifecycleAction[] = [];
  const enabled = rules.filter((r) => r.enabled);
  if (current.deleteMarker !== true) {
    const e = expiryOf(enabled, current, dayMs);
    if (e !== undefined && now >= e.at)
      out.push({ kind: 'expire-current', vid: current.vid, vts: current.vts, rule: e.rule });
  } else if (live.length === 1) {
    // An expired object delete marker: ExpiredObjectDeleteMarker removes it at once, an
    // Expiration in days once the marker is that old (S3 does both).
    for (const r of enabled) {
      const e = r.expiration;
      if (e === undefined || !filterMatches(r.filter, current)) continue;
      const due =
        e.expiredObjectDeleteMarker === true
          ? true
          : e.days !== undefined && now >= dueAt(current.modifiedMs, e.days, dayMs);
      if (!due) continue;
      out.push({ kind: 'remove-marker', vid: current.vid, vts: current.vts, rule: r.id });
      break;
    }
  }
  for (let i = 1; i < live.length; i++) {
    const v = live[i]!;
    // Noncurrent since its successor was made; the i-th newest noncurrent version.
    const since = live[i - 1]!.modifiedMs;
    for (const r of enabled) {
      const n = r.noncurrentVersionExpiration;
      if (n === undefined || !filterMatches(r.filter, v)) continue;
      if (i <= (n.newerNoncurrentVersions ?? 0)) continue;
      if (now < dueAt(since, n.noncurrentDays, dayMs)) continue;
      out.push({ kind: 'delete-noncurrent', vid: v.vid, vts: v.vts, rule: r.id });
      break;
    }
  }
  return out;
}

/** The rule that aborts an incomplete multipart upload of `key` started at `initiatedMs`, if due at `nowMs`. */
export function uploadAbortRule(
  rules: readonly LifecycleRule[],
  upload: { key: string; initiatedMs: number },
  options: { nowMs: number; dayMs?: number },
): string | undefined {
  for (const r of rules) {
    const a = r.abortIncompleteMultipartUpload;
    if (!r.enabled || a === undefined) continue;
    // Only the prefix selects uploads: they have no tags yet, and no size.
    if (r.filter.prefix !== undefined && !upload.key.startsWith(r.filter.prefix)) continue;
    if (options.nowMs >= dueAt(upload.initiatedMs, a.daysAfterInitiation, options.dayMs ?? DAY_MS))
      return r.id;
  }
  return undefined;
}

/** True when any enabled rule can act (the worker skips other buckets). */
export function hasActiveRules(rules: readonly LifecycleRule[] | undefined): boolean {
  return rules?.some((r) => r.enabled) === true;
}
