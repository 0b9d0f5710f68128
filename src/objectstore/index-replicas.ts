import type { BucketIndex } from './device/bucket-index.js';
import type { Device } from './device/device.js';
import { INDEX_SCHEMA, type IndexTable, type IndexTables } from './device/index-rows.js';
import { ObjectStoreError } from './errors.js';
import { IndexWriteBatcher } from './index-write-batch.js';
import type { Location, Placement } from './placement.js';

/**
 * The replicated view of one index database (the account index or a bucket index): writes go
 * to R devices and succeed at a quorum; point reads merge every reachable replica
 * last-writer-wins; listings first repair replicas that disagree, then read one. That makes a
 * write visible to every read that starts after it returned (read-after-write, list-after-write).
 * Writes that arrive together share one commit per replica (IndexWriteBatcher).
 */
export class IndexReplicas {
  private readonly batcher = new IndexWriteBatcher();

  constructor(private readonly placement: Placement) {}

  /** Applies rows to the write set; fails with ServiceUnavailable below a quorum. */
  async write<T extends IndexTable>(
    loc: Location,
    name: string,
    table: T,
    rows: Array<IndexTables[T]>,
  ): Promise<void> {
    const targets = await this.placement.writeTargets(loc);
    let ok = 0;
    const errors: string[] = [];
    await Promise.all(
      targets.map(async (d) => {
        try {
          await this.batcher.write(d, loc.partition, name, { table, rows });
          ok++;
        } catch (err) {
          errors.push(`${d.id}: ${(err as Error).message}`);
          if ((err as { code?: string }).code === 'SQLITE_FULL') d.markFull();
        }
      }),
    );
    if (ok < this.placement.quorum()) {
      throw new ObjectStoreError(
        'ServiceUnavailable',
        `Cannot update index ${name}: ${ok} of ${this.placement.quorum()} replicas needed were written (${errors.join('; ') || 'no devices available'})`,
      );
    }
  }

  /** Runs a query on every reachable replica (primaries, then handoffs holding a copy). */
  async query<R>(loc: Location, name: string, fn: (idx: BucketIndex) => R): Promise<R[]> {
    const out: R[] = [];
    for (const { idx } of await this.replicas(loc, name)) {
      try {
        out.push(fn(idx));
      } catch {
        // A replica that fails to answer (device pulled mid-query) is skipped like a missing one.
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

/** Applies every replica's rows to every other replica (last-writer-wins makes it idempotent). */
export function mergeAll(indexes: BucketIndex[]): void {
  for (const table of Object.keys(INDEX_SCHEMA) as IndexTable[]) {
    const rows = indexes.map((i) => i.exportRows(table));
    for (const idx of indexes) for (const set of rows) idx.apply(table, set);
  }
}
