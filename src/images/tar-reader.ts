import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { archiveInvalid } from './errors.js';

/** One member of a tar archive as `readTar` reports it. */
export interface TarMember {
  /** The path inside the archive, `./` and trailing `/` removed. */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  /** The link target of a symlink. */
  linkName: string;
}

/** Where a regular member's bytes go: chunks in order, then `end`. */
export interface TarSink {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
}

function octal(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  if ((field[0] ?? 0) & 0x80) {
    // GNU base-256 for sizes over 8 GiB.
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function cstring(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

function paxPath(data: Buffer): { path?: string; linkpath?: string } {
  const out: { path?: string; linkpath?: string } = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(data.subarray(i, space).toString(), 10);
    if (!(len > 0)) break;
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    if (key === 'path') out.path = record.slice(eq + 1);
    if (key === 'linkpath') out.linkpath = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * Reads a tar archive (gzip-compressed or not) in one pass, handing each regular member's bytes
 * to the sink `open` returns for it, so that a caller can write and hash in the same pass. ustar,
 * pax (`path`, `linkpath`) and GNU long names are understood; names with `..` or a leading `/`
 * are refused.
 */
export async function readTar(
  file: string,
  handler: {
    open(member: TarMember): Promise<TarSink | undefined>;
    entry?(member: TarMember): Promise<void>;
  },
): Promise<void> {
  const head = Buffer.alloc(2);
  const fd = await open(file, 'r');
  try {
    await fd.read(head, 0, 2, 0);
  } finally {
    await fd.close();
  }
  const raw = createReadStream(file, { highWaterMark: 4 << 20 });
  const input: AsyncIterable<Buffer> = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  let pending: Buffer = Buffer.alloc(0);
  let member: TarMember | undefined;
  let sink: TarSink | undefined;
  let remaining = 0;
  let padding = 0;
  let longName: string | undefined;
  let pax: { path?: string; linkpath?: string } = {};
  let meta: 'pax' | 'gnu' | undefined;
  let metaData: Buffer[] = [];
  let ended = false;
  for await (const chunk of input) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (!ended) {
      if (remaining > 0) {
        const take = Math.min(remaining, pending.length - offset);
        if (take === 0) break;
        const piece = pending.subarray(offset, offset + take);
        if (meta !== undefined) metaData.push(Buffer.from(piece));
        else if (sink) await sink.write(piece);
        offset += take;
        remaining -= take;
        if (remaining > 0) break;
      }
      if (padding > 0) {
        const skip = Math.min(padding, pending.length - offset);
        offset += skip;
        padding -= skip;
        if (padding > 0) break;
      }
      if (member !== undefined || meta !== undefined) {
        if (meta === 'pax') pax = paxPath(Buffer.concat(metaData));
        else if (meta === 'gnu') longName = Buffer.concat(metaData).toString('utf8').replace(/\0.*$/s, '');
        else if (sink) await sink.end();
        member = undefined;
        sink = undefined;
        meta = undefined;
        metaData = [];
      }
      if (pending.length - offset < 512) break;
      const block = pending.subarray(offset, offset + 512);
      offset += 512;
      if (block.every((b) => b === 0)) {
        ended = true;
        break;
      }
      const size = octal(block, 124, 12);
      const flag = String.fromCharCode(block[156] ?? 0);
      remaining = size;
      padding = (512 - (size % 512)) % 512;
      if (flag === 'x' || flag === 'L') {
        meta = flag === 'x' ? 'pax' : 'gnu';
        continue;
      }
      if (flag === 'g') {
        meta = 'pax';
        metaData = [];
        continue;
      }
      const prefix = cstring(block, 345, 155);
      let name =
        pax.path ?? longName ?? (prefix ? `${prefix}/${cstring(block, 0, 100)}` : cstring(block, 0, 100));
      const linkName = pax.linkpath ?? cstring(block, 157, 100);
      pax = {};
      longName = undefined;
      name = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      if (name.startsWith('/') || name.split('/').includes('..'))
        throw archiveInvalid(`archive member "${name}" escapes the archive`);
      const type =
        flag === '0' || flag === '\0' || flag === '7'
          ? 'file'
          : flag === '5'
            ? 'directory'
            : flag === '2'
              ? 'symlink'
              : 'other';
      member = { name, type, size, linkName };
      if (name === '' || name === '.') {
        member = { ...member, type: 'other' };
      }
      if (member.type === 'file') sink = await handler.open(member);
      else await handler.entry?.(member);
    }
    pending = pending.subarray(offset);
    if (ended) break;
  }
  if (!ended && (remaining > 0 || member !== undefined))
    throw archiveInvalid(`${file} ends in the middle of a member`);
}
