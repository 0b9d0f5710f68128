import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import type { DataFooter, DataReader, DataWriter, Device } from '../device/index.js';
import { isDiskFull } from '../../common/disk-space.js';
import { ObjectStoreError, isObjectStoreError } from '../errors.js';
import type { Checksum } from '../object-store.js';
import type { Location, Placement } from './placement.js';
import { bodyCheck, checkContentMd5, checksByCrc32, checksumHasher } from '../body/index.js';
import { HashPool, inlineMd5 } from '../body/index.js';
import { FileBody } from '../body/index.js';
import { fileNameOf } from '../device/index.js';

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
  /** Leaves older data files of the name in place (the caller drops them with `dropOlder`). */
  keepOlder?: boolean;
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

/** Bodies declared at most this size are hashed on the event loop (a thread hop costs more). */
export const INLINE_HASH_LIMIT = 256 * 1024;

/** Bytes of one PUT written or hashed but not yet acknowledged (its memory bound). */
export const WRITE_WINDOW = 2 * 1024 * 1024;

/** About how many bytes go to each replica in one write. */
export const WRITE_BATCH = 1024 * 1024;

/**
 * Replicated data files: a PUT streams one read of the body to every device of the write set at
 * once, with a few chunks in flight (the window is the backpressure: the socket is read no faster
 * than the slowest replica writes and the MD5 thread hashes), verifies digests, and commits at a
 * quorum; a read takes the first replica that verifies, quarantining bad ones.
 */
export class ObjectReplicas {
  private readonly hashes: HashPool | undefined;

  /**
   * `hashWorkers` is the number of MD5 threads: default max(1, min(4, cores - 1)) when the
   * machine has more than one core, else 0 (hash on the event loop, still overlapped with the
   * replica writes).
   */
  constructor(
    private readonly placement: Placement,
    options: { hashWorkers?: number } = {},
  ) {
    const workers = options.hashWorkers ?? (availableParallelism() > 1 ? undefined : 0);
    this.hashes = workers === 0 ? undefined : new HashPool(workers === undefined ? {} : { workers });
  }

  async put(loc: Location, body: Readable, opts: PutDataOptions): Promise<PutDataResult> {
    const quorum = this.placement.quorum();
    const { targets, skipped } = await this.placement.writeSet(loc);
    const opened = await Promise.allSettled(
      targets.map((d) => d.writer(loc.partition, loc.hash, opts.keepOlder === true)),
    );
    type Live = { device: Device; w: DataWriter };
    let live: Live[] = [];
    const dead: Live[] = [];
    opened.forEach((r, i) => {
      if (r.status === 'fulfilled') live.push({ device: targets[i]!, w: r.value });
      else noteFailure(targets[i]!, r.reason);
    });
    if (live.length < quorum) {
      await Promise.all(live.map((l) => l.w.abort()));
      body.destroy();
      const why = skipped.length > 0 ? ` (${skipped.join('; ')})` : '';
      throw unavailable(`${live.length} of ${quorum} devices needed could take the write${why}`);
    }
    const md5 =
      this.hashes === undefined || (opts.size !== undefined && opts.size <= INLINE_HASH_LIMIT)
        ? inlineMd5()
        : this.hashes.md5();
    const algorithm = opts.checksum?.algorithm ?? opts.checksumAlgorithm;
    const ck = algorithm ? checksumHasher(algorithm) : undefined;
    const inflight: Array<{ bytes: number; done: Promise<void> }> = [];
    let inflightBytes = 0;
    let hashError: Error | undefined;
    // Waits until at most `limit` bytes are in flight, then fails on what went wrong meanwhile.
    const settle = async (limit: number): Promise<void> => {
      while (inflightBytes > limit) {
        const oldest = inflight.shift()!;
        await oldest.done;
        inflightBytes -= oldest.bytes;
      }
      if (hashError !== undefined) throw hashError;
      if (live.length < quorum) throw unavailable('too many devices failed during the write');
    };
    // Socket reads arrive in pieces of up to 64 KiB; they go out in batches of about WRITE_BATCH
    // bytes (one gathering write per replica, one hand-over to the MD5 thread), never copied here.
    const send = async (batch: Buffer[], bytes: number): Promise<void> => {
      const hashed = md5.update(batch).then(
        () => undefined,
        (err: unknown) => void (hashError ??= err instanceof Error ? err : new Error(String(err))),
      );
      const writes = live.map((l) =>
        l.w.write(batch).catch((err: unknown) => {
          noteFailure(l.device, err);
          if (!live.includes(l)) return;
          live = live.filter((x) => x !== l);
          dead.push(l);
        }),
      );
      inflight.push({ bytes, done: Promise.all([hashed, ...writes]).then(() => undefined) });
      inflightBytes += bytes;
      await settle(WRITE_WINDOW);
    };
    let size = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    try {
      for await (const raw of body) {
        const chunk = typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer);
        if (chunk.length === 0) continue;
        size += chunk.length;
        ck?.update(chunk);
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= WRITE_BATCH) {
          const full = batch;
          batch = [];
          await send(full, batchBytes);
          batchBytes = 0;
        }
      }
      if (batchBytes > 0) await send(batch, batchBytes);
      await settle(0);
      const digests = await md5.digest();
      if (opts.size !== undefined && size !== opts.size) {
        throw new ObjectStoreError(
          'IncompleteBody',
          `Expected ${opts.size} bytes for "${opts.key}" but received ${size}`,
        );
      }
      checkContentMd5(opts.key, opts.contentMd5, digests.md5);
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
      const crcHex = digests.crc32;
      const footer: DataFooter = {
        bucket: opts.bucket,
        key: opts.key,
        name: opts.name,
        ts: opts.ts,
        size,
        md5: digests.md5.toString('hex'),
        ...(crcHex === undefined ? {} : { crc32: crcHex }),
        meta: opts.meta,
      };
      const committing = live;
      const committed = await Promise.allSettled(committing.map((l) => l.w.commit(footer)));
      await Promise.all(dead.map((l) => l.w.abort()));
      const devices: string[] = [];
      committed.forEach((r, i) =>
        r.status === 'fulfilled'
          ? devices.push(committing[i]!.device.id)
          : noteFailure(committing[i]!.device, r.reason),
      );
      if (devices.length < quorum) {
        // No index row will name these copies.
        await this.discard(loc, opts.name, opts.ts);
        throw unavailable(`only ${devices.length} of ${quorum} copies were committed`);
      }
      return { md5: footer.md5, size, devices, ...(checksum ? { checksum } : {}) };
    } catch (err) {
      // Writes still in flight finish (they never reject) before their files are removed.
      await Promise.all(inflight.map((x) => x.done));
      md5.cancel();
      await Promise.all([...live, ...dead].map((l) => l.w.abort()));
      if (!body.destroyed) body.destroy();
      if (isObjectStoreError(err)) throw err;
      throw new ObjectStoreError(
        'IncompleteBody',
        `The body of "${opts.key}" could not be read: ${(err as Error).message}`,
      );
    }
  }

  /** Ends the hashing threads. */
  async close(): Promise<void> {
    await this.hashes?.close();
  }

  /**
   * Opens the copy of `name` written at `ts` from the first replica that has a good one. Small
   * bodies are verified before returning; large ones while streaming (a mismatch found at the end
   * destroys the stream with an error, since the bytes are already sent). Range reads of large
   * bodies are not verified (the auditor covers them). Never another version's file: when this
   * one is gone everywhere (replaced since the row was read), the read fails.
   */
  async read(
    loc: Location,
    name: string,
    ts: string,
    range?: { start: number; end: number },
  ): Promise<Readable> {
    for (const device of [...loc.primaries, ...loc.handoffs]) {
      const got = await device.open(loc.partition, loc.hash, name, ts).catch(() => undefined);
      if (!got || 'tombstone' in got) continue;
      if (got.footer.size < 0 || got.footer.ts !== ts) {
        await got.close();
        await device.quarantine(loc.partition, loc.hash, got.fileName);
        continue;
      }
      const body = await this.verified(device, loc, got, range);
      if (body) return body;
    }
    throw new ObjectStoreError(
      'InternalError',
      `No good replica of "${name}" (${ts}) is reachable in partition ${loc.partition}`,
    );
  }

  /** Removes the data files of `name` written before `ts`, where the devices are reachable. */
  async dropOlder(loc: Location, name: string, ts: string): Promise<void> {
    await Promise.all(
      [...loc.primaries, ...loc.handoffs].map((d) =>
        d.dropOlder(loc.partition, loc.hash, name, ts).catch(() => undefined),
      ),
    );
  }

  /** Removes the copies of `name` written at `ts` (a write that no index row names), where reachable. */
  async discard(loc: Location, name: string, ts: string): Promise<void> {
    const fileName = fileNameOf(ts, name, 'data');
    await Promise.all(
      [...loc.primaries, ...loc.handoffs].map((d) =>
        d.remove(loc.partition, loc.hash, fileName).catch(() => undefined),
      ),
    );
  }

  /** Writes tombstones for `name` on the write set (quorum). */
  async remove(loc: Location, footer: DataFooter): Promise<void> {
    // A tombstone is tiny and frees space: devices below their reserve take it too.
    const targets = await this.placement.writeTargets(loc, false);
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
      const check = bodyCheck(r.footer);
      check.update(buf);
      if (!check.matches()) {
        await device.quarantine(loc.partition, loc.hash, r.fileName);
        return undefined;
      }
      return Readable.from(range ? [buf.subarray(range.start, range.end + 1)] : [buf]);
    }
    // A whole body with a CRC-32 footer is read on a hashing thread, which checks it meanwhile.
    const { footer, fd } = r;
    const hashes = this.hashes;
    const threaded =
      !range && hashes !== undefined && fd !== undefined && checksByCrc32(footer)
        ? { start: () => hashes.reader(fd), crc32: footer.crc32 }
        : undefined;
    return new FileBody({
      reader: r,
      start: range?.start ?? 0,
      end: range?.end ?? size - 1,
      ...(range || threaded ? {} : { check: bodyCheck(footer) }),
      ...(threaded ? { threaded } : {}),
      mismatch: async () => {
        // Quarantine before failing, so that the client's retry reads another replica.
        await device.quarantine(loc.partition, loc.hash, r.fileName);
        return new ObjectStoreError(
          'BadDigest',
          `Stored copy of "${r.footer.key}" on ${device.id} does not match the checksum it was stored with`,
        );
      },
    });
  }
}

function unavailable(why: string): ObjectStoreError {
  return new ObjectStoreError('ServiceUnavailable', `Not enough storage devices: ${why}`);
}

function noteFailure(device: Device, err: unknown): void {
  if (isDiskFull(err)) device.markFull();
}
