/**
 * Pod addresses recorded on disk, one file per address named by it and holding the pod uid, as
 * CNI's host-local plugin keeps them. An address is claimed by `link()`ing a complete record
 * file to its name, which fails when the name exists: the claim is atomic, so two setUps (or a
 * setUp racing a restarted agent) never get one address, and a crash leaves either no record or
 * a whole one, which `PodNetwork.reconcile` frees when its pod is gone.
 */
import { linkSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { podRangeFull } from '../errors.js';
import { candidateAddresses, recordedAddress, type IpRecord } from './pod-ipam.js';
import type { PodRange } from './pod-range.js';

const LAST = 'last_reserved_ip';

/** See the file comment. */
export class IpamStore {
  constructor(
    private readonly dir: string,
    private readonly range: PodRange,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Temporary files of claims a crash interrupted.
    for (const f of readdirSync(dir)) if (f.startsWith('.')) rmSync(join(dir, f), { force: true });
  }

  /** Every record. */
  records(): IpRecord[] {
    const out: IpRecord[] = [];
    for (const ip of readdirSync(this.dir)) {
      if (ip.startsWith('.') || ip === LAST) continue;
      let podUid: string;
      try {
        podUid = readFileSync(join(this.dir, ip), 'utf8').trim();
      } catch {
        continue; // released meanwhile
      }
      out.push({ ip, podUid });
    }
    return out;
  }

  /** The pod's address: the one recorded, or a free one claimed now. */
  allocate(podUid: string): string {
    const records = this.records();
    const known = recordedAddress(records, podUid);
    if (known !== undefined) return known;
    const tmp = join(this.dir, `.${podUid}.${process.pid}`);
    writeFileSync(tmp, `${podUid}\n`, { mode: 0o600 });
    try {
      const taken = new Set(records.map((r) => r.ip));
      for (const ip of candidateAddresses(this.range, taken, this.last())) {
        try {
          linkSync(tmp, join(this.dir, ip));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw err;
        }
        writeFileSync(join(this.dir, LAST), ip);
        return ip;
      }
      throw podRangeFull(this.range.cidr, podUid);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** Frees the addresses recorded for the pod (none: nothing happens). */
  release(podUid: string): void {
    for (const r of this.records()) if (r.podUid === podUid) this.remove(r.ip);
  }

  /** Removes one record. */
  remove(ip: string): void {
    rmSync(join(this.dir, ip), { force: true });
  }

  private last(): string | undefined {
    try {
      return readFileSync(join(this.dir, LAST), 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  }
}
