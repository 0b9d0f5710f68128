/**
 * The CRC checksums S3 offers as additional checksums (CRC32, CRC32C, CRC64NVME), computed
 * incrementally in pure TypeScript: Node has no CRC32C or CRC64, and this file stays free of
 * node: imports so the dashboard can use it. SHA1/SHA256 come from node:crypto in the engine.
 */

/** An incremental checksum. */
export interface Hasher {
  update(chunk: Uint8Array): void;
  /** The checksum bytes (big-endian for the CRCs, as S3 encodes them before base64). */
  digest(): Uint8Array;
}

function table32(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const CRC32_TABLE = table32(0xedb88320);
const CRC32C_TABLE = table32(0x82f63b78);

function crc32With(table: Uint32Array): Hasher {
  let crc = 0xffffffff;
  return {
    update(chunk) {
      let c = crc;
      for (let i = 0; i < chunk.length; i++) c = table[(c ^ chunk[i]!) & 0xff]! ^ (c >>> 8);
      crc = c;
    },
    digest() {
      const v = (crc ^ 0xffffffff) >>> 0;
      return new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
    },
  };
}

/** CRC-32 (ISO-HDLC, as zlib). */
export function crc32(): Hasher {
  return crc32With(CRC32_TABLE);
}

/** CRC-32C (Castagnoli). */
export function crc32c(): Hasher {
  return crc32With(CRC32C_TABLE);
}

// CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, held as two 32-bit halves.
const C64_LO = new Uint32Array(256);
const C64_HI = new Uint32Array(256);
{
  const pLo = 0xac4bc9b5;
  const pHi = 0x9a6c9329;
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        lo = (lo ^ pLo) >>> 0;
        hi = (hi ^ pHi) >>> 0;
      }
    }
    C64_LO[i] = lo;
    C64_HI[i] = hi;
  }
}

/** CRC-64/NVME, the default checksum of recent AWS SDKs. */
export function crc64nvme(): Hasher {
  let lo = 0xffffffff;
  let hi = 0xffffffff;
  return {
    update(chunk) {
      let l = lo;
      let h = hi;
      for (let i = 0; i < chunk.length; i++) {
        const idx = (l ^ chunk[i]!) & 0xff;
        l = (((l >>> 8) | (h << 24)) ^ C64_LO[idx]!) >>> 0;
        h = ((h >>> 8) ^ C64_HI[idx]!) >>> 0;
      }
      lo = l;
      hi = h;
    },
    digest() {
      const h = (hi ^ 0xffffffff) >>> 0;
      const l = (lo ^ 0xffffffff) >>> 0;
      return new Uint8Array([
        h >>> 24,
        (h >>> 16) & 0xff,
        (h >>> 8) & 0xff,
        h & 0xff,
        l >>> 24,
        (l >>> 16) & 0xff,
        (l >>> 8) & 0xff,
        l & 0xff,
      ]);
    },
  };
}
