import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { systemClock, type Clock } from '../../common/clock.js';
import { Auditor, type AuditProgress } from '../replication/index.js';
import { EngineContext } from './context.js';
import type { Device, DeviceHealth } from '../device/index.js';
import { LocalDevice } from '../device/index.js';
import { Engine, type EngineHooks } from './engine.js';
import { dataFileNamed } from './orphans.js';
import type { ObjectStore } from '../object-store.js';
import { Placement } from '../replication/index.js';
import { Replicator, type ReplicationProgress } from '../replication/index.js';
import {
  addDevice,
  createRing,
  rebalance,
  removeDevice,
  ringBalance,
  type DeviceBalance,
} from '../ring/index.js';
import type { RingData, RingDevice } from '../ring/index.js';
import { explainObject, type ExplainResult } from './explain.js';
import { LifecycleWorker, type LifecycleProgress, type LifecycleWorkerOptions } from './lifecycle-worker.js';

/** A device to open: a folder and its place in the failure domains. */
export interface DeviceSpec {
  /** Default: the id recorded in the folder, else derived from the absolute path. */
  id?: string;
  path: string;
  /** Default 1. */
  weight?: number;
  /** Default 'z1'. */
  zone?: string;
  /** Default 'r1'. */
  region?: string;
  /** Default 'local'. */
  node?: string;
  /** Free bytes below which this device leaves the write set; default the store's `reserveBytes`. */
  reserveBytes?: number;
}

/** Options of openObjectStore. */
export interface OpenObjectStoreOptions {
  devices: DeviceSpec[];
  /** Default min(3, devices). */
  replicas?: number;
  /** Default 10. */
  partPower?: number;
  /** Default 1. */
  minPartHours?: number;
  clock?: Clock;
  /** Auditor read rate, bytes/s; default unlimited. */
  auditBytesPerSecond?: number;
  /** Auditor pass interval in ms; default 0 (only auditOnce). */
  auditIntervalMs?: number;
  /** Replicator pass interval in ms; default 0 (only replicateOnce). */
  replicateIntervalMs?: number;
  /** Free bytes below which a device leaves the write set; default 0. */
  reserveBytes?: number;
  /** How long deletions (tombstones) are kept before the replicator forgets them; default a week. */
  reclaimAgeMs?: number;
  /** Objects of at most this many bytes are stored inline in the bucket index; default 64 KiB, 0 never. */
  inlineMaxBytes?: number;
  /** Test seams inside operations (EngineHooks); none by default. */
  hooks?: EngineHooks;
  /** Lifecycle pass interval in ms; default 0 (only lifecycleOnce). */
  lifecycleIntervalMs?: number;
  /** Bounds and day length of the lifecycle worker (LifecycleWorkerOptions); S3's defaults. */
  lifecycle?: Omit<LifecycleWorkerOptions, 'state'>;
}

/** What `status()` reports: devices, ring balance, auditor and replicator progress. */
export interface EngineStatus {
  devices: Array<{
    id: string;
    path: string;
    inRing: boolean;
    health: DeviceHealth;
    balance?: DeviceBalance;
  }>;
  ring: { version: number; partPower: number; replicas: number; worstPercentOff: number };
  auditor: AuditProgress;
  replicator: ReplicationProgress;
  lifecycle: LifecycleProgress;
}

/** The engine as the CLI, the server and tests see it: the S3 operations plus ring and repair controls. */
export interface EngineObjectStore extends ObjectStore {
  /** The current ring (a copy). */
  ring(): RingData;
  /** Which devices hold an object (and its bucket index) and the health of each copy. */
  explain(bucket: string, key: string, versionId?: string): Promise<ExplainResult>;
  auditOnce(): Promise<AuditProgress>;
  replicateOnce(): Promise<ReplicationProgress>;
  /** One bounded pass of the lifecycle worker (expirations, aborted uploads). */
  lifecycleOnce(): Promise<LifecycleProgress>;
  status(): Promise<EngineStatus>;
  /** Adds a device to the ring (it gets partitions at the next rebalance). */
  addDevice(spec: DeviceSpec): Promise<void>;
  /** Takes a device out of the ring; its data is moved off it by the replicator. */
  removeDevice(id: string): Promise<void>;
  /** Rebalances the ring and saves it; replication then moves the data. */
  rebalance(): Promise<{ moved: number; held: number; version: number }>;
  /** Bulk-loads new small objects inline, one index transaction per replica; returns the count. */
  loadInlineObjects(bucket: string, items: ReadonlyArray<{ key: string; data: Buffer }>): Promise<number>;
}

/**
 * Opens (or creates) an object store over local device folders. The ring is saved as
 * `ring.json` on every device; the newest one found is used, devices new to it are added and the
 * ring rebalanced. Devices of the saved ring that are not given stay in the ring as missing.
 */
export async function openObjectStore(options: OpenObjectStoreOptions): Promise<EngineObjectStore> {
  if (options.devices.length === 0) throw new RangeError('openObjectStore needs at least one device');
  const clock = options.clock ?? systemClock;
  const devices = new Map<string, LocalDevice>();
  const specs: RingDevice[] = [];
  try {
    for (const spec of options.devices) {
      const d = await openDevice(spec, clock, options.reserveBytes);
      if (devices.has(d.id)) {
        await d.close();
        throw new RangeError(`device id ${d.id} is given twice`);
      }
      devices.set(d.id, d);
      specs.push(ringDevice(d.id, spec));
    }
  } catch (err) {
    for (const d of devices.values()) await d.close();
    throw err;
  }
  let ring = await loadRing([...devices.values()]);
  let changed = false;
  if (!ring) {
    ring = createRing(specs, {
      replicas: options.replicas ?? Math.min(3, specs.length),
      partPower: options.partPower ?? 10,
      minPartHours: options.minPartHours ?? 1,
    });
    changed = true;
  } else {
    for (const s of specs) {
      if (!ring.devices.some((d) => d.id === s.id)) {
        ring = addDevice(ring, s);
        changed = true;
      }
    }
  }
  if (changed) {
    ring = rebalance(ring, clock.now()).ring;
    await saveRing([...devices.values()], ring);
  }
  return new EngineStore(new Placement(ring, devices), devices, clock, options);
}

class EngineStore extends Engine implements EngineObjectStore {
  private readonly auditor: Auditor;
  private readonly replicator: Replicator;
  private readonly lifecycle: LifecycleWorker;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly placement: Placement,
    private readonly local: Map<string, LocalDevice>,
    private readonly clock: Clock,
    private readonly options: OpenObjectStoreOptions,
  ) {
    super(new EngineContext(placement, clock), {
      ...(options.inlineMaxBytes !== undefined ? { inlineMaxBytes: options.inlineMaxBytes } : {}),
      ...(options.hooks !== undefined ? { hooks: options.hooks } : {}),
    });
    const all = (): Device[] => [...local.values()];
    this.auditor = new Auditor(all, {
      clock,
      isNamed: (file) => dataFileNamed(this.ctx, file),
      ...(options.auditBytesPerSecond ? { bytesPerSecond: options.auditBytesPerSecond } : {}),
    });
    this.replicator = new Replicator(placement, all, {
      clock,
      ...(options.reclaimAgeMs !== undefined ? { reclaimAgeMs: options.reclaimAgeMs } : {}),
    });
    this.lifecycle = new LifecycleWorker(this.ctx, this, {
      ...options.lifecycle,
      state: {
        load: () => loadJson<LifecycleProgress>([...local.values()], LIFECYCLE_FILE, (p) => p.passes),
        save: (p) => saveJson([...local.values()], LIFECYCLE_FILE, JSON.stringify(p)),
      },
    });
    const every = (ms: number | undefined, run: () => Promise<unknown>): void => {
      if (!ms || ms <= 0) return;
      const t = setInterval(() => void run().catch(() => undefined), ms);
      t.unref();
      this.timers.push(t);
    };
    every(options.auditIntervalMs, () => this.auditor.runOnce());
    every(options.replicateIntervalMs, () => this.replicator.runOnce());
    every(options.lifecycleIntervalMs, () => this.lifecycle.runOnce());
  }

  ring(): RingData {
    return structuredClone(this.placement.ring);
  }

  async explain(bucket: string, key: string, versionId?: string): Promise<ExplainResult> {
    const result = await explainObject(this.ctx, bucket, key, versionId);
    for (const f of result.files) {
      for (const c of f.copies) {
        const d = this.local.get(c.device);
        if (d && c.fileName !== undefined) c.path = d.dataPath(result.partition, result.hash, c.fileName);
        else if (d && result.inline && c.state !== 'device-missing') {
          const { loc, name } = this.ctx.bucketIndex(bucket);
          c.path = join(d.path, 'indexes', String(loc.partition), `${name}.db`);
        }
      }
    }
    return result;
  }

  auditOnce(): Promise<AuditProgress> {
    return this.auditor.runOnce();
  }

  replicateOnce(): Promise<ReplicationProgress> {
    return this.replicator.runOnce();
  }

  lifecycleOnce(): Promise<LifecycleProgress> {
    return this.lifecycle.runOnce();
  }

  async status(): Promise<EngineStatus> {
    const ring = this.placement.ring;
    const balance = ringBalance(ring);
    const devices = [];
    for (const d of this.local.values()) {
      const b = balance.devices.find((x) => x.id === d.id);
      devices.push({
        id: d.id,
        path: d.path,
        inRing: b !== undefined,
        health: await d.check(),
        ...(b ? { balance: b } : {}),
      });
    }
    return {
      devices,
      ring: {
        version: ring.version,
        partPower: ring.partPower,
        replicas: ring.replicas,
        worstPercentOff: balance.worstPercentOff,
      },
      auditor: { ...this.auditor.progress },
      replicator: { ...this.replicator.progress },
      lifecycle: { ...this.lifecycle.progress },
    };
  }

  async addDevice(spec: DeviceSpec): Promise<void> {
    const d = await openDevice(spec, this.clock, this.options.reserveBytes);
    this.local.set(d.id, d);
    this.placement.devices.set(d.id, d);
    this.placement.ring = addDevice(this.placement.ring, ringDevice(d.id, spec));
    await saveRing([...this.local.values()], this.placement.ring);
  }

  async removeDevice(id: string): Promise<void> {
    // The device object stays open (not in the ring) so the replicator can move its data off.
    this.placement.ring = removeDevice(this.placement.ring, id);
    await saveRing([...this.local.values()], this.placement.ring);
  }

  async rebalance(): Promise<{ moved: number; held: number; version: number }> {
    const r = rebalance(this.placement.ring, this.clock.now());
    this.placement.ring = r.ring;
    await saveRing([...this.local.values()], r.ring);
    return { moved: r.moved, held: r.held, version: r.ring.version };
  }

  override async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.lifecycle.close();
    await this.auditor.close();
    await this.replicator.close();
    await this.ctx.data.close();
    for (const d of this.local.values()) await d.close();
  }
}

async function openDevice(
  spec: DeviceSpec,
  clock: Clock,
  storeReserve: number | undefined,
): Promise<LocalDevice> {
  const reserveBytes = spec.reserveBytes ?? storeReserve;
  const path = resolve(spec.path);
  await mkdir(path, { recursive: true, mode: 0o700 });
  // Objects are readable by whoever can read the folder: this user only, also for an old folder.
  await chmod(path, 0o700);
  let id = spec.id;
  const marker = join(path, 'device.json');
  if (id === undefined && existsSync(marker)) {
    id = (JSON.parse(await readFile(marker, 'utf8')) as { id?: string }).id;
  }
  id ??= `d-${createHash('md5').update(path).digest('hex').slice(0, 8)}`;
  await writeFile(marker, JSON.stringify({ id }) + '\n');
  const device = new LocalDevice(id, path, {
    clock,
    ...(reserveBytes !== undefined ? { reserveBytes } : {}),
  });
  await device.claim();
  return device;
}

function ringDevice(id: string, spec: DeviceSpec): RingDevice {
  return {
    id,
    weight: spec.weight ?? 1,
    zone: spec.zone ?? 'z1',
    region: spec.region ?? 'r1',
    node: spec.node ?? 'local',
  };
}

/** The lifecycle worker's progress and cursor, on every device beside ring.json. */
const LIFECYCLE_FILE = 'lifecycle.json';

/** The newest copy (by `order`) of a JSON file kept on every device. */
async function loadJson<T>(
  devices: readonly LocalDevice[],
  file: string,
  order: (value: T) => number,
): Promise<T | undefined> {
  let best: T | undefined;
  for (const d of devices) {
    const text = await readFile(join(d.path, file), 'utf8').catch(() => undefined);
    if (!text) continue;
    const value = JSON.parse(text) as T;
    if (best === undefined || order(value) > order(best)) best = value;
  }
  return best;
}

/** Writes a file to every device folder that exists (tmp, then rename). */
async function saveJson(devices: readonly LocalDevice[], file: string, text: string): Promise<void> {
  for (const d of devices) {
    if (!existsSync(d.path)) continue;
    const tmp = join(d.path, `${file}.${process.pid}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, join(d.path, file));
  }
}

function loadRing(devices: LocalDevice[]): Promise<RingData | undefined> {
  return loadJson<RingData>(devices, 'ring.json', (r) => r.version);
}

function saveRing(devices: LocalDevice[], ring: RingData): Promise<void> {
  return saveJson(devices, 'ring.json', JSON.stringify(ring));
}
