import { createHash } from 'node:crypto';
import type { Device } from '../device/index.js';
import { handoffDevices, partitionForHash, primaryDevices, type RingData } from '../ring/index.js';

/** Where a name lives: its partition, hash folder and the devices that should / may hold it. */
export interface Location {
  partition: number;
  hash: string;
  primaries: Device[];
  handoffs: Device[];
}

/** The hex MD5 of a string (UTF-8). */
export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** The name the account index (the bucket list) is placed by. */
export const ACCOUNT_INDEX = 'account';

/**
 * Turns names into devices through the current ring. Objects are placed by md5(bucket/key), a
 * bucket's index by md5(bucket), the bucket list by md5('account'). The ring may be replaced
 * (rebalance); a Location is a snapshot of it.
 */
export class Placement {
  constructor(
    public ring: RingData,
    readonly devices: Map<string, Device>,
  ) {}

  /** The location of an object key. */
  object(bucket: string, key: string): Location {
    return this.locate(md5Hex(`${bucket}/${key}`));
  }

  /** The location of a bucket's index database; the database file is named by the hash. */
  bucketIndex(bucket: string): Location {
    return this.locate(md5Hex(bucket));
  }

  /** The location of the account index. */
  account(): Location {
    return this.locate(md5Hex(ACCOUNT_INDEX));
  }

  /** The location of a partition (for the replicator). */
  partition(partition: number, hash = ''): Location {
    return {
      partition,
      hash,
      primaries: this.devicesOf(primaryDevices(this.ring, partition)),
      handoffs: this.devicesOf(handoffDevices(this.ring, partition)),
    };
  }

  /**
   * The devices to write to: the first R healthy ones among the primaries then the handoffs.
   * A missing or full device is skipped so writes go on while others have room; so is one below
   * its free-space reserve when the write carries object bodies (`bodies`, the default) rather
   * than a tombstone.
   */
  async writeTargets(loc: Location, bodies = true): Promise<Device[]> {
    return (await this.writeSet(loc, bodies)).targets;
  }

  /** `writeTargets` plus why the devices passed over were (`id: reason`), for error messages. */
  async writeSet(loc: Location, bodies = true): Promise<{ targets: Device[]; skipped: string[] }> {
    const targets: Device[] = [];
    const skipped: string[] = [];
    for (const d of [...loc.primaries, ...loc.handoffs]) {
      if (targets.length >= this.ring.replicas) break;
      const health = await d.check();
      if (health.ok && (health.lowSpace === undefined || !bodies)) targets.push(d);
      else skipped.push(health.lowSpace ?? unhealthy(d.id, health.reason));
    }
    return { targets, skipped };
  }

  /** The write quorum: a majority of R. */
  quorum(): number {
    return Math.floor(this.ring.replicas / 2) + 1;
  }

  private locate(hash: string): Location {
    return { ...this.partition(partitionForHash(hash, this.ring.partPower)), hash };
  }

  private devicesOf(list: Array<{ id: string }>): Device[] {
    return list.map((d) => this.devices.get(d.id)).filter((d): d is Device => d !== undefined);
  }
}

/** Why a device is out of the write set, in words, for error messages. */
export function unhealthy(id: string, reason: string | undefined): string {
  if (reason === 'full')
    return `${id}: full (it refused a write for lack of space; it rejoins once space is freed)`;
  return `${id}: ${reason ?? 'unavailable'}`;
}
