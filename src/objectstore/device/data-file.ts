import type { DataFooter } from './device.js';

/** Magic bytes closing every data file: 'SFv1'. */
const MAGIC = Buffer.from('SFv1');

/**
 * The footer bytes of a data file: JSON, its length (uint32 BE) and the magic. Written after the
 * body so the writer need not know the MD5 before streaming, and the body starts at offset 0.
 */
export function encodeFooter(footer: DataFooter): Buffer {
  const json = Buffer.from(JSON.stringify(footer));
  const tail = Buffer.alloc(8);
  tail.writeUInt32BE(json.length, 0);
  MAGIC.copy(tail, 4);
  return Buffer.concat([json, tail]);
}

/** The footer length (JSON + 8) from the last 8 bytes of a file, or undefined when not a data file. */
export function footerLength(tail: Buffer): number | undefined {
  if (tail.length !== 8 || !tail.subarray(4).equals(MAGIC)) return undefined;
  return tail.readUInt32BE(0) + 8;
}

/** Parses the footer JSON; undefined when it is not one. */
export function decodeFooter(json: Buffer): DataFooter | undefined {
  try {
    const f = JSON.parse(json.toString('utf8')) as DataFooter;
    return typeof f.md5 === 'string' && typeof f.size === 'number' ? f : undefined;
  } catch {
    return undefined;
  }
}

/** `<ts>_<name>.data` or `.ts`, and back. */
export function fileNameOf(ts: string, name: string, kind: 'data' | 'tombstone'): string {
  return `${ts}_${name}.${kind === 'data' ? 'data' : 'ts'}`;
}

/** Splits a file name into ts, name and kind; undefined for anything else (temp files, junk). */
export function parseFileName(
  fileName: string,
): { ts: string; name: string; kind: 'data' | 'tombstone' } | undefined {
  const m = /^(\d{15}\.\d{6})_(.+)\.(data|ts)$/.exec(fileName);
  if (!m) return undefined;
  return { ts: m[1]!, name: m[2]!, kind: m[3] === 'data' ? 'data' : 'tombstone' };
}
