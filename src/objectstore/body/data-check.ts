import { createHash, type Hash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { crc32, crc32c, crc64nvme, type Hasher } from './checksum.js';
import type { DataFooter } from '../device/index.js';
import { ObjectStoreError } from '../errors.js';
import type { Checksum } from '../object-store.js';

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * A running CRC-32 of a body with zlib's native crc32 (Node 20.15+, several GiB/s), kept in data
 * file footers so that reads verify at the speed of the disk rather than of MD5. `hex()` is
 * undefined on a Node without it; such files carry no CRC and reads fall back to the MD5.
 */
export class BodyCrc32 {
  private value = 0;

  update(chunk: Uint8Array): void {
    if (nativeCrc32 !== undefined) this.value = nativeCrc32(chunk, this.value);
  }

  hex(): string | undefined {
    return nativeCrc32 === undefined ? undefined : (this.value >>> 0).toString(16).padStart(8, '0');
  }
}

/**
 * A CRC-32 Hasher (as checksum.ts defines it) over zlib's native crc32, or undefined on a Node
 * without it: the table version in checksum.ts runs at a fraction of the speed.
 */
export function nativeCrc32Hasher(): Hasher | undefined {
  if (nativeCrc32 === undefined) return undefined;
  const native = nativeCrc32;
  let value = 0;
  return {
    update: (chunk) => void (value = native(chunk, value)),
    digest: () => {
      const v = value >>> 0;
      return new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
    },
  };
}

/** Verifies a stored body against its footer while it streams. */
export interface BodyCheck {
  update(chunk: Uint8Array): void;
  /** True when the bytes seen match the footer. */
  matches(): boolean;
}

/** True when a footer's CRC-32 is what reads check (it has one and this Node computes it natively). */
export function checksByCrc32(footer: Pick<DataFooter, 'crc32'>): footer is { crc32: string } {
  return footer.crc32 !== undefined && nativeCrc32 !== undefined;
}

/**
 * The cheapest check a footer allows: its CRC-32 when it has one and this Node computes it
 * natively, else its MD5. Either detects a flipped bit or a truncated copy; the auditor still
 * recomputes the MD5 of every copy in the background.
 */
export function bodyCheck(footer: Pick<DataFooter, 'md5' | 'crc32'>): BodyCheck {
  if (checksByCrc32(footer)) {
    const crc = new BodyCrc32();
    return { update: (c) => crc.update(c), matches: () => crc.hex() === footer.crc32 };
  }
  const md5 = createHash('md5');
  return { update: (c) => void md5.update(c), matches: () => md5.digest('hex') === footer.md5 };
}

/** A hasher for an S3 additional checksum, native where Node has one (CRC32, SHA1, SHA256). */
export function checksumHasher(algorithm: Checksum['algorithm']): Hasher {
  switch (algorithm) {
    case 'CRC32':
      return nativeCrc32Hasher() ?? crc32();
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
 * Checks a body's MD5 against the Content-MD5 the client sent (base64): InvalidDigest when it
 * is not an MD5 at all, BadDigest when it differs, as S3 answers.
 */
export function checkContentMd5(key: string, contentMd5: string | undefined, md5Bytes: Buffer): void {
  if (contentMd5 === undefined) return;
  const want = Buffer.from(contentMd5, 'base64');
  if (want.length !== 16)
    throw new ObjectStoreError('InvalidDigest', `Content-MD5 "${contentMd5}" is not a base64 MD5`);
  if (!want.equals(md5Bytes)) {
    throw new ObjectStoreError(
      'BadDigest',
      `The Content-MD5 you specified did not match what was received for "${key}"`,
    );
  }
}
