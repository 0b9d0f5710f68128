import type { BucketIndex } from '../device/index.js';
import type { Device, DeviceHealth } from '../device/index.js';
import { INDEX_SCHEMA, type IndexTable, type IndexTables, type ObjectRow } from '../device/index.js';
import { isDiskFull } from '../../common/disk-space.js';
import { ObjectStoreError } from '../errors.js';
import { inlineIntact, isInline } from '../body/index.js';
import { IndexWriteBatcher } from './index-write-batch.js';
import { unhealthy, type Location, type Placement } from './placement.js';

/** How many index writes trust a device's last good health check (bounds how stale it gets). */
const HEALTH_REUSE = 64;
/** How many reads reuse an index handle before the device is asked for it again. */
const HANDLE_REUSE = 64;

/**
 * The replicated view of one index database (the account index or a bucket index): writes go
 * to R devices and succeed at a quorum; point reads merge every reachable replica
 * last-writer-wins; listings first repair replicas that disagree, then read one. That makes a
 * write visible to every read that starts after it returned (read-after-write, list-after-write).
 * Writes that arrive together share one commit per replica (IndexWriteBatcher).
 */
export class IndexReplicas {
  private readonly batcher = new IndexWriteBatcher();
  /**
   * Devices found healthy, how many more writes may trust that before checking again, and
   * whether the device was below its free-space reserve (then it takes no inline bodies).
   */
  private readonly healthy = new Map<Device, { left: number; lowSpace: string | undefined }>();
  /** Health checks in flight, shared by the writes waiting on them. */
  private readonly checking = new Map<Device, Promise<DeviceHealth>>();
  /** Open index handles for reads, and how many more reads may use them before asking again. */
  private readonly readHandles = new Map<string, { device: Device; idx: BucketIndex; uses: number }>();
  /** Queries a replica failed to answer (an error, not a missing copy), counted for the bucket cache. */
  queryFailures = 0;
  private readonly failed = (): undefined => void this.queryFailures++;

  constructor(private readonly placement: Placement) {}

  /**
   * The write set as Placement.writeTargets chooses it (the first R healthy devices among the
   * primaries then the handoffs), without a stat and a statfs per device per write: a device
   * found healthy is trusted for the next HEALTH_REUSE writes, or until a write to it fails.
   * An unhealthy device is checked again every time, so it rejoins as soon as it is back.
   */
  private async targets(loc: Location, bodies: boolean): Promise<{ targets: Device[]; skipped: string[] }> {
    const targets: Device[] = [];
    const skipped: string[] = [];
    for (const d of [...loc.primaries, ...loc.handoffs]) {
      if (targets.length >= this.placement.ring.replicas) break;
      let known = this.healthy.get(d);
      if (known !== undefined && known.left > 0) known.left--;
      else {
        const health = await this.check(d);
        known = health.ok ? { left: HEALTH_REUSE, lowSpace: health.lowSpace } : undefined;
        if (known === undefined) {
          this.healthy.delete(d);
          skipped.push(unhealthy(d.id, health.reason));
          continue;
        }
        this.healthy.set(d, known);
      }
      if (known.lowSpace === undefined || !bodies) targets.push(d);
      else skipped.push(known.lowSpace);
    }
    return { targets, skipped };
  }

  /**
   * One health check of a device at a time: the writes that find its trust used up while a
   * check is in flight (16 concurrent PUTs do, as the stat and statfs queue in the thread pool
   * behind WAL syncs) share that check's answer instead of each starting their own.
   */
  private check(d: Device): Promise<DeviceHealth> {
    let running = this.checking.get(d);
    if (running === undefined) {
      running = d.check().finally(() => this.checking.delete(d));
      this.checking.set(d, running);
    }
    return running;
  }

  /** Applies rows to the write set; fails with ServiceUnavailable below a quorum. */
  async write<T extends IndexTable>(
    loc: Location,
    name: string,
    table: T,
    rows: Array<IndexTables[T]>,
  ): Promise<void> {
    // An inline object's body rides in its row: it is kept off devices below their reserve.
    const bodies = rows.some((r) => Buffer.isBuffer((r as { data?: unknown }).data));
    const { targets, skipped } = await this.targets(loc, bodies);
    let ok = 0;
    const errors: string[] = [...skipped];
    await Promise.all(
      targets.map(async (d) => {
        try {
          await this.batcher.write(d, loc.partition, name, { table, rows });
          ok++;
        } catch (err) {
          errors.push(`${d.id}: ${(err as Error).message}`);
          this.healthy.delete(d);
          if (isDiskFull(err)) d.markFull();
        }
      }),
    );
    if (ok < this.placement.quorum()) {
      throw new ObjectStoreError(
        'ServiceUnavailable',
        `Cannot update index ${name}: ${ok} of ${this.placement.quorum()} replicas needed were written (${errors.join('; ') || 'no devices available'})`,
        // With none written, nothing can name what the failed write refers to.
        { written: ok },
      );
    }
  }

  /**
   * Runs a query on every reachable replica (primaries, then handoffs holding a copy). Handles
   * found open are reused for the next HANDLE_REUSE reads without asking the device again (which
   * stats the file); a query that fails on a reused handle asks the device afresh. Only reads
   * reuse handles: writes always go through the device, which never writes to a vanished file.
   */
  async query<R>(loc: Location, name: string, fn: (idx: BucketIndex) => R): Promise<R[]> {
    const out: R[] = [];
    for (const device of [...loc.primaries, ...loc.handoffs]) {
      const id = `${device.id}\u0000${loc.partition}\u0000${name}`;
      const reused = this.readHandles.get(id);
      if (reused !== undefined && reused.device === device && reused.uses > 0) {
        reused.uses--;
        try {
          out.push(fn(reused.idx));
          continue;
        } catch {
          this.readHandles.delete(id);
        }
      }
      const idx = await device.index(loc.partition, name, false).catch(this.failed);
      if (idx === undefined) {
        this.readHandles.delete(id);
        continue;
      }
      if (this.readHandles.size >= 10_000) this.readHandles.clear();
      this.readHandles.set(id, { device, idx, uses: HANDLE_REUSE });
      try {
        out.push(fn(idx));
      } catch {
        // A replica that fails to answer (device pulled mid-query) is skipped like a missing one.
        this.failed();
      }
    }
    return out;
  }

  /**
   * One replica that holds everything every reachable replica holds: when their fingerprints
   * differ, all rows are merged into all of them first (read repair). Undefined when none exists.
   */
  async repaired(loc: Location, name: string): Promise<BucketIndex | undefined> {
    const reps = await this.replicas(loc, name);
    if (reps.length === 0) return undefined;
    if (reps.length === 1) return reps[0]!.idx;
    const prints = new Set<string>();
    for (const r of reps) prints.add(r.idx.fingerprint());
    if (prints.size > 1) mergeAll(reps.map((r) => r.idx));
    return reps[0]!.idx;
  }

  private async replicas(loc: Location, name: string): Promise<Array<{ device: Device; idx: BucketIndex }>> {
    const out: Array<{ device: Device; idx: BucketIndex }> = [];
    for (const device of [...loc.primaries, ...loc.handoffs]) {
      const idx = await device.index(loc.partition, name, false).catch(() => undefined);
      if (idx) out.push({ device, idx });
    }
    return out;
  }
}

/**
 * Applies every replica's rows to every other replica (last-writer-wins makes it idempotent).
 * A version row whose inline body fails its MD5 is not spread: the auditor or a read repairs it
 * from a good replica, and the good replica's row reaches the others here.
 */
export function mergeAll(indexes: BucketIndex[]): void {
  for (const table of Object.keys(INDEX_SCHEMA) as IndexTable[]) {
    const rows = indexes.map((i) => {
      const set = i.exportRows(table);
      return table === 'objects' ? (set as ObjectRow[]).filter((r) => !isInline(r) || inlineIntact(r)) : set;
    });
    for (const idx of indexes) for (const set of rows) idx.apply(table, set);
  }
}
