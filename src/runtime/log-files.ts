import { closeSync, existsSync, fstatSync, openSync, read, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseLogLine, type LogRecord } from './cri-log.js';

/** One log file as it was when the set was opened: reads never go past `size`. */
interface LogFile {
  fd: number;
  size: number;
}

/** A line start: file index (oldest first) and byte offset. */
interface Position {
  file: number;
  offset: number;
}

/** Bytes read at a time. A record is at most 16 KiB of characters (64 KiB of UTF-8) plus its prefix. */
const CHUNK = 64 * 1024;

/** Enough bytes to hold a record's prefix (`<RFC3339Nano> <stream> <F|P> `). */
const PREFIX = 64;

const NEWLINE = 0x0a;

function readAt(fd: number, position: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const buf = Buffer.allocUnsafe(length);
    read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(buf.subarray(0, n))));
  });
}

/** Parses the prefix of the line starting at `start` of `buf` (time, stream, tag; content cut short). */
function prefixAt(buf: Buffer, start: number): LogRecord | undefined {
  let end = buf.indexOf(NEWLINE, start);
  if (end < 0 || end > start + PREFIX) end = Math.min(buf.length, start + PREFIX);
  return parseLogLine(buf.toString('latin1', start, end));
}

/**
 * An attempt's log files (`<attempt>.log.N` … `<attempt>.log.1`, `<attempt>.log`), opened all at
 * once so that a reader sees one instant of them: rotation renames or removes files, but the open
 * descriptors keep reading what was there. Synchronous, so that a follower can subscribe to new
 * records in the same tick and miss nothing. Reads are bounded by what a request asks for: the
 * tail is found by reading backwards from the end, `since` skips whole files by their first
 * record's time, and iteration stops when its consumer does.
 */
export class LogFileSet {
  private readonly files: LogFile[] = [];
  private closed = false;

  constructor(dir: string, attempt: number) {
    if (!existsSync(dir)) return;
    const base = `${attempt}.log`;
    const rotated = readdirSync(dir)
      .filter((f) => f.startsWith(`${base}.`) && /^\d+$/.test(f.slice(base.length + 1)))
      .map((f) => Number(f.slice(base.length + 1)))
      .sort((a, b) => b - a)
      .map((n) => join(dir, `${base}.${n}`));
    for (const path of [...rotated, join(dir, base)]) {
      try {
        const fd = openSync(path, 'r');
        this.files.push({ fd, size: fstatSync(fd).size });
      } catch {
        // removed by a rotation since the listing: it held the oldest lines only
      }
    }
  }

  /** Closes the files; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.files) closeSync(f.fd);
  }

  /**
   * Where the last `lines` lines begin: just after the (lines+1)-th full record from the end. A
   * line split into partial records counts once, and trailing partial records are kept, as
   * `selectRecords` counts.
   */
  async tailStart(lines: number): Promise<Position> {
    let full = 0;
    for (let f = this.files.length - 1; f >= 0; f--) {
      const { fd, size } = this.files[f]!;
      let lineEnd = size; // the start of the line after the one being looked at
      let pos = size;
      let after: Buffer = Buffer.alloc(0); // the first bytes of what was read before (for prefixes)
      while (pos > 0) {
        const from = Math.max(0, pos - CHUNK);
        const chunk = await readAt(fd, from, pos - from);
        const buf = after.length > 0 ? Buffer.concat([chunk, after]) : chunk;
        // Line starts in this chunk: after each newline (if inside the file), and 0 at the top.
        for (let i = chunk.length - 1; i >= -1; i--) {
          if (i >= 0 && buf[i] !== NEWLINE) continue;
          const start = from + i + 1;
          if (i < 0 && from > 0) break;
          if (start >= size) continue;
          const rec = prefixAt(buf, i + 1);
          if (rec !== undefined && !rec.partial && full++ === lines) return { file: f, offset: lineEnd };
          lineEnd = start;
        }
        after = buf.subarray(0, PREFIX);
        pos = from;
      }
    }
    return { file: 0, offset: 0 };
  }

  /** The newest file whose first record is older than `sinceMs`: every file before it is older. */
  async sinceStart(sinceMs: number): Promise<Position> {
    for (let f = this.files.length - 1; f > 0; f--) {
      const first = prefixAt(await readAt(this.files[f]!.fd, 0, PREFIX), 0);
      if (first !== undefined && first.timeMs < sinceMs) return { file: f, offset: 0 };
    }
    return { file: 0, offset: 0 };
  }

  /** The records from `from` to the end of the set, a chunk's worth at a time. */
  async *records(from: Position): AsyncGenerator<LogRecord[]> {
    for (let f = from.file; f < this.files.length; f++) {
      const { fd, size } = this.files[f]!;
      let pos = f === from.file ? from.offset : 0;
      let carry: Buffer = Buffer.alloc(0);
      while (pos < size) {
        const chunk = await readAt(fd, pos, Math.min(CHUNK, size - pos));
        if (chunk.length === 0) break;
        pos += chunk.length;
        // Whole lines only: a chunk may end inside a line, even inside a multi-byte character.
        const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        const whole = pos >= size ? data.length : data.lastIndexOf(NEWLINE) + 1;
        const text = data.toString('utf8', 0, whole);
        carry = data.subarray(whole);
        const out: LogRecord[] = [];
        for (const line of text.split('\n')) {
          const rec = line === '' ? undefined : parseLogLine(line);
          if (rec !== undefined) out.push(rec);
        }
        if (out.length > 0) yield out;
      }
    }
  }
}
