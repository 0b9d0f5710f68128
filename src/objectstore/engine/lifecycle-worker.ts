import { isInline } from '../body/index.js';
import type { ObjectRow } from '../device/index.js';
import { isObjectStoreError } from '../errors.js';
import type { BucketInfo, ObjectStore } from '../object-store.js';
import { listBuckets } from './buckets.js';
import type { EngineContext } from './context.js';
import {
  DAY_MS,
  hasActiveRules,
  keyActions,
  uploadAbortRule,
  type LifecycleAction,
  type LifecycleVersion,
} from './lifecycle.js';
import { abortUpload } from './multipart.js';
import { latestOf, parseMeta } from './stored-meta.js';

/** Cumulative lifecycle progress, for `status()`; saved with the cursor, so it survives restarts. */
export interface LifecycleProgress {
  /** Bounded passes run. */
  passes: number;
  /** Full sweeps over every bucket with rules (a sweep may take several passes). */
  sweeps: number;
  keysScanned: number;
  /** Current versions expired: deleted (unversioned buckets) or hidden behind a delete marker. */
  objectsExpired: number;
  noncurrentDeleted: number;
  markersRemoved: number;
  uploadsAborted: number;
  /** Actions that failed (retried on the next sweep). */
  errors: number;
  lastPassActions: number;
  /** Where the next pass resumes: a bucket, and the last key done in it (absent: its uploads first). */
  cursor?: { bucket: string; key?: string };
}

/** Where the worker keeps its progress between runs of the process. */
export interface LifecycleStateStore {
  load(): Promise<LifecycleProgress | undefined>;
  save(progress: LifecycleProgress): Promise<void>;
}

/** Options of the LifecycleWorker. */
export interface LifecycleWorkerOptions {
  /** The length of a lifecycle day; default 24 h (tests shorten it). */
  dayMs?: number;
  /** Actions (deletions, markers, aborts) per pass; default 1,000. */
  maxActionsPerPass?: number;
  /** Keys looked at per pass; default 10,000. */
  maxKeysPerPass?: number;
  /** Where progress and the cursor are kept; default nowhere (a restart sweeps from the start). */
  state?: LifecycleStateStore;
}

const PAGE = 256;

/**
 * Applies buckets' lifecycle rules (lifecycle.ts) at a bounded rate: each pass does at most
 * `maxActionsPerPass` actions and looks at `maxKeysPerPass` keys, resuming where the previous
 * pass stopped (bucket by bucket, in key order; a bucket's incomplete uploads first). Decisions
 * are level-triggered from the merged index rows read just before acting, so a pass repeated
 * after a crash finds done work done (no second delete marker, no lost deletion); the cursor is
 * saved after every pass, so a restart does not go back to the first bucket either.
 *
 * Deletions are conditional on the row read: a version's tombstone keeps that version's `vts`,
 * so it loses to anything written since (a PUT over an unversioned key between the read and
 * the delete survives), and only the data files that row named are removed.
 */
export class LifecycleWorker {
  progress: LifecycleProgress = {
    passes: 0,
    sweeps: 0,
    keysScanned: 0,
    objectsExpired: 0,
    noncurrentDeleted: 0,
    markersRemoved: 0,
    uploadsAborted: 0,
    errors: 0,
    lastPassActions: 0,
  };
  private loaded = false;
  private running: Promise<LifecycleProgress> | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly store: Pick<ObjectStore, 'deleteObject'>,
    private readonly options: LifecycleWorkerOptions = {},
  ) {}

  /** One bounded pass; concurrent calls share the running pass. */
  runOnce(): Promise<LifecycleProgress> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops a running pass at the next key. */
  close(): Promise<void> {
    this.stopped = true;
    return this.running ? this.running.then(() => undefined) : Promise.resolve();
  }

  private async pass(): Promise<LifecycleProgress> {
    if (!this.loaded) {
      const saved = await this.options.state?.load().catch(() => undefined);
      if (saved !== undefined) this.progress = { ...this.progress, ...saved };
      this.loaded = true;
    }
    const budget = {
      actions: this.options.maxActionsPerPass ?? 1000,
      keys: this.options.maxKeysPerPass ?? 10_000,
    };
    const before = this.actionCount();
    const cursor = this.progress.cursor;
    const buckets = (await listBuckets(this.ctx))
      .filter((b) => hasActiveRules(b.lifecycle))
      .filter((b) => cursor === undefined || b.name >= cursor.bucket);
    let finished = true;
    for (const b of buckets) {
      const resumeAfter = cursor !== undefined && cursor.bucket === b.name ? cursor.key : undefined;
      this.progress.cursor = { bucket: b.name, ...(resumeAfter !== undefined ? { key: resumeAfter } : {}) };
      if (!(await this.sweepBucket(b, resumeAfter, budget))) {
        finished = false;
        break;
      }
    }
    if (finished) {
      delete this.progress.cursor;
      this.progress.sweeps++;
    }
    this.progress.passes++;
    this.progress.lastPassActions = this.actionCount() - before;
    await this.options.state?.save({ ...this.progress }).catch(() => undefined);
    return { ...this.progress };
  }

  private actionCount(): number {
    const p = this.progress;
    return p.objectsExpired + p.noncurrentDeleted + p.markersRemoved + p.uploadsAborted;
  }

  /** One bucket from `after`; false when the budget ran out (the cursor says where). */
  private async sweepBucket(
    b: BucketInfo,
    after: string | undefined,
    budget: { actions: number; keys: number },
  ): Promise<boolean> {
    const rules = b.lifecycle ?? [];
    const dayMs = this.options.dayMs ?? DAY_MS;
    const bi = this.ctx.bucketIndex(b.name);
    if (after === undefined && rules.some((r) => r.enabled && r.abortIncompleteMultipartUpload)) {
      const idx = await this.ctx.index.repaired(bi.loc, bi.name);
      for (const u of idx?.uploads({ limit: budget.actions * 4 + PAGE }) ?? []) {
        if (this.stopped || budget.actions <= 0) return false;
        const nowMs = this.ctx.clock.now();
        if (uploadAbortRule(rules, { key: u.key, initiatedMs: u.initiated }, { nowMs, dayMs }) === undefined)
          continue;
        budget.actions--;
        await this.act(async () => {
          await abortUpload(this.ctx, { bucket: b.name, key: u.key, uploadId: u.uploadId });
          this.progress.uploadsAborted++;
        });
      }
    }
    let from = after;
    for (;;) {
      const idx = await this.ctx.index.repaired(bi.loc, bi.name);
      const page = idx?.latest({ ...(from !== undefined ? { after: from } : {}), limit: PAGE }) ?? [];
      if (page.length === 0) return true;
      for (const { key } of page) {
        if (this.stopped || budget.keys <= 0 || budget.actions <= 0) return false;
        budget.keys--;
        this.progress.keysScanned++;
        const rows = (await this.ctx.versionRows(b.name, key)).filter((r) => !r.deleted);
        const actions = keyActions(rules, rows.map(lifecycleVersion), { nowMs: this.ctx.clock.now(), dayMs });
        for (const a of actions) {
          budget.actions--;
          await this.act(() => this.apply(b, key, a, rows));
        }
        from = key;
        this.progress.cursor = { bucket: b.name, key };
      }
    }
  }

  /** Runs one action; a failure is counted and left for the next sweep. */
  private async act(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (isObjectStoreError(err, 'NoSuchUpload') || isObjectStoreError(err, 'NoSuchBucket')) return;
      this.progress.errors++;
    }
  }

  private async apply(b: BucketInfo, key: string, a: LifecycleAction, rows: ObjectRow[]): Promise<void> {
    const row = rows.find((r) => r.vid === a.vid && r.vts === a.vts);
    if (row === undefined) return;
    if (a.kind !== 'expire-current' || b.versioning === 'Off') {
      await this.removeVersion(b.name, row);
      if (a.kind === 'expire-current') this.progress.objectsExpired++;
      else if (a.kind === 'remove-marker') this.progress.markersRemoved++;
      else this.progress.noncurrentDeleted++;
      return;
    }
    // A versioned bucket keeps the expired version behind a delete marker, written only while
    // that version is still the current one.
    const now = latestOf(await this.ctx.versionRows(b.name, key));
    if (now === undefined || now.vid !== row.vid || now.vts !== row.vts) return;
    // The engine's delete writes the marker (a `null` one in a suspended bucket, replacing the
    // `null` version and its data, as a DELETE does).
    await this.store.deleteObject(b.name, key);
    this.progress.objectsExpired++;
  }

  /** Removes one version for good, conditional on the row read (see the class comment). */
  private async removeVersion(bucket: string, row: ObjectRow): Promise<void> {
    const bi = this.ctx.bucketIndex(bucket);
    await this.ctx.index.write(bi.loc, bi.name, 'objects', [
      { ...row, ts: this.ctx.stamps.next(), deleted: 1, data: null },
    ]);
    if (isInline(row) || row.dm) return;
    const loc = this.ctx.placement.object(bucket, row.key);
    const manifest = parseMeta(row.meta).manifest;
    const files = manifest
      ? manifest.map((p) => ({ name: p.name, ts: p.pts }))
      : [{ name: row.vid, ts: row.vts }];
    for (const f of files) await this.ctx.data.discard(loc, f.name, f.ts);
  }
}

function lifecycleVersion(r: ObjectRow): LifecycleVersion {
  const tags = r.dm ? undefined : parseMeta(r.meta).tags;
  return {
    key: r.key,
    vid: r.vid,
    vts: r.vts,
    size: r.size,
    modifiedMs: r.modified,
    ...(tags !== undefined ? { tags } : {}),
    ...(r.dm ? { deleteMarker: true } : {}),
  };
}
