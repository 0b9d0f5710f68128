import { createHash } from 'node:crypto';
import type { Device } from './device/device.js';
import { handoffDevices, partitionForHash, primaryDevices, type RingData } from './ring/ring.js';

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
   * A missing or full device is skipped so writes go on while others have room.
   */
  async writeTargets(loc: Location): Promise<Device[]> {
    const out: Device[] = [];
    for (const d of [...loc.primaries, ...loc.handoffs]) {
      if (out.length >= this.ring.replicas) break;
      if ((await d.check()).ok) out.push(d);
    }
    return out;
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
