import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { crc32, crc32c, crc64nvme, type Hasher } from './checksum.js';
import type { DataFooter, DataReader, DataWriter, Device } from './device/device.js';
import { ObjectStoreError, isObjectStoreError } from './errors.js';
import type { Checksum } from './object-store.js';
import type { Location, Placement } from './placement.js';

/** What the engine asks to be stored under a name in a hash folder. */
export interface PutDataOptions {
  bucket: string;
  key: string;
  name: string;
  ts: string;
  meta: string;
  size?: number;
  contentMd5?: string;
  checksum?: Checksum;
  /** Computes this checksum even when no value is given to verify. */
  checksumAlgorithm?: Checksum['algorithm'];
}

/** What a stored body turned out to be. */
export interface PutDataResult {
  md5: string;
  size: number;
  checksum?: Checksum;
  /** Devices that committed the copy. */
  devices: string[];
}

/** Objects up to this size are read whole and verified before a byte is returned. */
export const VERIFY_WHOLE_LIMIT = 8 * 1024 * 1024;

/** A checksum hasher for an S3 algorithm. */
export function checksumHasher(algorithm: Checksum['algorithm']): Hasher {
  switch (algorithm) {
    case 'CRC32':
      return crc32();
    case 'CRC32C':
      return crc32c();
    case 'CRC64NVME':
      return crc64nvme();
    case 'SHA1':
    case 'SHA256': {
      const h: Hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
      return { update: (c) => h.update(c), digest: () => h.digest() };
    }
  }
}

/**
 * Replicated data files: a PUT streams one read of the body to every device of the write set
 * (waiting for the slowest before reading on, which is the backpressure), verifies digests, and
 * commits at a quorum; a read takes the first replica whose MD5 verifies, quarantining bad ones.
 */
export class ObjectReplicas {
  constructor(private readonly placement: Placement) {}

  async put(loc: Location, body: Readable, opts: PutDataOptions): Promise<PutDataResult> {
    const quorum = this.placement.quorum();
    const targets = await this.placement.writeTargets(loc);
    const opened = await Promise.allSettled(targets.map((d) => d.writer(loc.partition, loc.hash)));
    let live: Array<{ device: Device; w: DataWriter }> = [];
    opened.forEach((r, i) => {
      if (r.status === 'fulfilled') live.push({ device: targets[i]!, w: r.value });
      else noteFailure(targets[i]!, r.reason);
    });
    const abortAll = async (): Promise<void> => {
      await Promise.all(live.map((l) => l.w.abort()));
    };
    if (live.length < quorum) {
      await abortAll();
      body.destroy();
      throw unavailable(`${live.length} of ${quorum} devices needed could take the write`);
    }
    const md5 = createHash('md5');
    const algorithm = opts.checksum?.algorithm ?? opts.checksumAlgorithm;
    const ck = algorithm ? checksumHasher(algorithm) : undefined;
    let size = 0;
    try {
      for await (const raw of body) {
        const chunk = typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer);
        md5.update(chunk);
        ck?.update(chunk);
        size += chunk.length;
        const failed: typeof live = [];
        await Promise.all(
          live.map((l) =>
            l.w.write(chunk).catch((err: unknown) => {
              noteFailure(l.device, err);
              failed.push(l);
            }),
          ),
        );
        if (failed.length > 0) {
          await Promise.all(failed.map((l) => l.w.abort()));
          live = live.filter((l) => !failed.includes(l));
          if (live.length < quorum) throw unavailable('too many devices failed during the write');
        }
      }
      const md5Bytes = md5.digest();
      if (opts.size !== undefined && size !== opts.size) {
        throw new ObjectStoreError(
          'IncompleteBody',
          `Expected ${opts.size} bytes for "${opts.key}" but received ${size}`,
        );
      }
      if (opts.contentMd5 !== undefined) {
        const want = Buffer.from(opts.contentMd5, 'base64');
        if (want.length !== 16)
          throw new ObjectStoreError('InvalidDigest', `Content-MD5 "${opts.contentMd5}" is not a base64 MD5`);
        if (!want.equals(md5Bytes)) {
          throw new ObjectStoreError(
            'BadDigest',
            `The Content-MD5 you specified did not match what was received for "${opts.key}"`,
          );
        }
      }
      let checksum: Checksum | undefined;
      if (ck && algorithm) {
        checksum = { algorithm, value: Buffer.from(ck.digest()).toString('base64') };
        if (opts.checksum && opts.checksum.value !== checksum.value) {
          throw new ObjectStoreError(
            'XAmzContentChecksumMismatch',
            `The ${algorithm} you specified (${opts.checksum.value}) did not match the calculated checksum (${checksum.value})`,
          );
        }
      }
      const footer: DataFooter = {
        bucket: opts.bucket,
        key: opts.key,
        name: opts.name,
        ts: opts.ts,
        size,
        md5: md5Bytes.toString('hex'),
        meta: opts.meta,
      };
      const committed = await Promise.allSettled(live.map((l) => l.w.commit(footer)));
      const devices: string[] = [];
      committed.forEach((r, i) =>
        r.status === 'fulfilled' ? devices.push(live[i]!.device.id) : noteFailure(live[i]!.device, r.reason),
      );
      if (devices.length < quorum)
        throw unavailable(`only ${devices.length} of ${quorum} copies were committed`);
      return { md5: footer.md5, size, devices, ...(checksum ? { checksum } : {}) };
    } catch (err) {
      await abortAll();
      if (!body.destroyed) body.destroy();
      if (isObjectStoreError(err)) throw err;
      throw new ObjectStoreError(
        'IncompleteBody',
        `The body of "${opts.key}" could not be read: ${(err as Error).message}`,
      );
    }
  }

  /**
   * Opens the copy of `name` written at `ts` (or newer) from the first replica that has a good
   * one. Small bodies are verified before returning; large ones while streaming (a mismatch found
   * at the end destroys the stream with an error, since the bytes are already sent). Range reads
   * of large bodies are not verified (the auditor covers them).
   */
  async read(
    loc: Location,
    name: string,
    ts: string,
    range?: { start: number; end: number },
  ): Promise<Readable> {
    for (const exact of [true, false]) {
      for (const device of [...loc.primaries, ...loc.handoffs]) {
        const got = await device.open(loc.partition, loc.hash, name).catch(() => undefined);
        if (!got || 'tombstone' in got) continue;
        const ok = exact ? got.footer.ts === ts : got.footer.ts > ts;
        if (got.footer.size < 0) {
          await device.quarantine(loc.partition, loc.hash, got.fileName);
          continue;
        }
        if (!ok) {
          await got.close();
          continue;
        }
        const body = await this.verified(device, loc, got, range);
        if (body) return body;
      }
    }
    throw new ObjectStoreError(
      'InternalError',
      `No good replica of "${name}" (${ts}) is reachable in partition ${loc.partition}`,
    );
  }

  /** Writes tombstones for `name` on the write set (quorum). */
  async remove(loc: Location, footer: DataFooter): Promise<void> {
    const targets = await this.placement.writeTargets(loc);
    const done = await Promise.allSettled(
      targets.map((d) => d.writeTombstone(loc.partition, loc.hash, footer)),
    );
    const ok = done.filter((r) => r.status === 'fulfilled').length;
    if (ok < this.placement.quorum())
      throw unavailable(`only ${ok} tombstones for "${footer.key}" were written`);
  }

  private async verified(
    device: Device,
    loc: Location,
    r: DataReader,
    range?: { start: number; end: number },
  ): Promise<Readable | undefined> {
    const size = r.footer.size;
    if (size <= VERIFY_WHOLE_LIMIT) {
      const buf = await r.readAll().finally(() => r.close());
      if (createHash('md5').update(buf).digest('hex') !== r.footer.md5) {
        await device.quarantine(loc.partition, loc.hash, r.fileName);
        return undefined;
      }
      return Readable.from(range ? [buf.subarray(range.start, range.end + 1)] : [buf]);
    }
    const closeAfter = (s: Readable): Readable => {
      s.once('close', () => void r.close());
      return s;
    };
    if (range) return closeAfter(r.stream(range.start, range.end));
    const md5 = createHash('md5');
    const check = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        md5.update(chunk);
        cb(null, chunk);
      },
      flush(cb) {
        if (md5.digest('hex') === r.footer.md5) return cb();
        const err = new ObjectStoreError(
          'BadDigest',
          `Stored copy of "${r.footer.key}" on ${device.id} failed MD5 verification`,
        );
        // Quarantine before failing, so that the client's retry reads another replica.
        void device.quarantine(loc.partition, loc.hash, r.fileName).finally(() => cb(err));
      },
    });
    const src = closeAfter(r.stream());
    src.on('error', (err) => check.destroy(err));
    check.once('close', () => src.destroy());
    return src.pipe(check);
  }
}

function unavailable(why: string): ObjectStoreError {
  return new ObjectStoreError('ServiceUnavailable', `Not enough storage devices: ${why}`);
}

function noteFailure(device: Device, err: unknown): void {
  if ((err as { code?: string }).code === 'ENOSPC') device.markFull();
}
