import type { Device } from '../device/index.js';
import type { IndexTable, IndexTables } from '../device/index.js';

/** Rows of one table, as a caller of IndexReplicas.write hands them over. */
export interface IndexRows {
  table: IndexTable;
  rows: Array<IndexTables[IndexTable]>;
}

interface Batch {
  device: Device;
  partition: number;
  name: string;
  items: IndexRows[];
  waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }>;
}

/**
 * Group commit for index replicas: rows for the same index file on the same device that arrive
 * while the event loop is busy (typically during the previous synchronous SQLite commit) are
 * applied in one transaction, and every transaction committed while a WAL fsync is in flight
 * shares the next one (BucketIndex.durable), so N concurrent PUTs cost far fewer than N fsyncs per
 * replica and the event loop never waits on the disk. A batch that finds a WAL sync of its index
 * in flight keeps gathering rows until that sync ends and only then commits: its writers wait
 * for the next sync in any case, and one transaction per sync writes each touched page to the
 * WAL once instead of once per commit. Each caller's promise settles when the transaction
 * holding its rows is committed and synced (or failed, with that error), so acknowledging a
 * write still means it is durable.
 */
export class IndexWriteBatcher {
  private readonly pending = new Map<string, Batch>();

  /** Queues rows for one replica; resolves once they are committed in that replica's database. */
  write(device: Device, partition: number, name: string, items: IndexRows): Promise<void> {
    const key = `${device.id}\u0000${partition}\u0000${name}`;
    let batch = this.pending.get(key);
    if (batch === undefined) {
      const created: Batch = { device, partition, name, items: [], waiters: [] };
      batch = created;
      this.pending.set(key, created);
      setImmediate(() => void this.flush(key, created));
    }
    batch.items.push(items);
    const b = batch;
    return new Promise((resolve, reject) => b.waiters.push({ resolve, reject }));
  }

  private async flush(key: string, batch: Batch): Promise<void> {
    const close = (): void => {
      if (this.pending.get(key) === batch) this.pending.delete(key);
    };
    try {
      const idx = await batch.device.index(batch.partition, batch.name, true);
      if (!idx) throw new Error('device vanished');
      // Rows that arrive while the sync in flight runs join this batch (it is still pending).
      const busy = idx.syncInFlight();
      if (busy !== undefined) await busy.catch(() => undefined);
      close();
      idx.applyBatch(batch.items);
      await idx.durable();
    } catch (err) {
      close();
      for (const w of batch.waiters) w.reject(err);
      return;
    }
    for (const w of batch.waiters) w.resolve();
  }
}
