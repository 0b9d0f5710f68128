import { createHash, type Hash } from 'node:crypto';
import * as zlib from 'node:zlib';
import type { Checksum } from '../object-store.js';
import { crc32, crc32c, crc64nvme } from '../body/index.js';

/** The S3 additional checksum algorithms. */
export type ChecksumAlgorithm = Checksum['algorithm'];

/** The algorithms with the header names that carry them (`x-amz-checksum-crc32` …). */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = [
  'CRC32',
  'CRC32C',
  'CRC64NVME',
  'SHA1',
  'SHA256',
];

/** The header (or trailer) name of an algorithm. */
export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** The algorithm of a header name, or undefined. */
export function algorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  return CHECKSUM_ALGORITHMS.find((a) => checksumHeader(a) === name.toLowerCase());
}

/** The byte length of an algorithm's digest, for validating base64 values. */
export function digestLength(algorithm: ChecksumAlgorithm): number {
  return { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 }[algorithm];
}

/** An incremental checksum: feed bytes, then read the base64 digest S3 uses. */
export interface ChecksumHasher {
  update(data: Uint8Array): void;
  digest(): string;
}

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * Creates a hasher for an S3 checksum algorithm. CRC32 uses zlib's native crc32 when this Node
 * has it (20.15+), the table version otherwise.
 */
export function createChecksum(algorithm: ChecksumAlgorithm): ChecksumHasher {
  switch (algorithm) {
    case 'CRC32': {
      if (zlibCrc32 === undefined) break;
      const native = zlibCrc32;
      let crc = 0;
      return {
        update: (d) => void (crc = native(d, crc)),
        digest: () => {
          const b = Buffer.alloc(4);
          b.writeUInt32BE(crc >>> 0);
          return b.toString('base64');
        },
      };
    }
    case 'SHA1':
    case 'SHA256': {
      const h: Hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
      return { update: (d) => void h.update(d), digest: () => h.digest('base64') };
    }
    default:
      break;
  }
  const h = algorithm === 'CRC32' ? crc32() : algorithm === 'CRC32C' ? crc32c() : crc64nvme();
  return { update: (d) => h.update(d), digest: () => Buffer.from(h.digest()).toString('base64') };
}

/** The checksum of whole bytes, base64. */
export function checksumOf(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  const h = createChecksum(algorithm);
  h.update(data);
  return h.digest();
}
