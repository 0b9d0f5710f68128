import { statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { defaultReserveBytes } from '../common/disk-space.js';
import type { DeviceSpec } from '../objectstore/index.js';

/**
 * Devices on the state database's file system count against its reserve: such a device stops
 * taking object bodies while its own reserve plus the store's is still free, so objects never
 * eat the room the store keeps for itself. Other devices and devices not mounted yet (a missing
 * folder) are left as given.
 */
export function reserveForStore(devices: DeviceSpec[], dbPath: string, storeReserve: number): DeviceSpec[] {
  if (storeReserve <= 0) return devices;
  let dbDevice: number;
  try {
    dbDevice = statSync(dirname(dbPath)).dev;
  } catch {
    return devices;
  }
  return devices.map((spec) => {
    try {
      if (statSync(spec.path).dev !== dbDevice) return spec;
      const fs = statfsSync(spec.path);
      const own = spec.reserveBytes ?? defaultReserveBytes(fs.blocks * fs.bsize);
      return { ...spec, reserveBytes: own + storeReserve };
    } catch {
      return spec;
    }
  });
}
