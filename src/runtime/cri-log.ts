/**
 * The CRI container log format, one record per line: `<RFC3339Nano> <stream> <F|P> <content>`.
 * `F` marks a full line, `P` a partial one (a line longer than the chunk limit, or the last bytes
 * before the stream ended without a newline). Pure: formatting, parsing and the selection that
 * `tailLines`, `sinceSeconds` and `timestamps` do, so the log reader and the dashboard share it.
 */

/** stdout or stderr. */
export type LogStream = 'stdout' | 'stderr';

/** One parsed log record. */
export interface LogRecord {
  /** RFC 3339 with nanoseconds, as written. */
  time: string;
  /** Milliseconds since the epoch, for comparisons. */
  timeMs: number;
  stream: LogStream;
  partial: boolean;
  content: string;
}

/** Formats nanoseconds since the epoch as RFC 3339 with nine fractional digits, in UTC. */
export function formatTimestamp(epochNs: bigint): string {
  const ms = Number(epochNs / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.123Z
  const frac = (epochNs % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

/** One record as a line of the log file, newline included. */
export function formatLogLine(time: string, stream: LogStream, partial: boolean, content: string): string {
  return `${time} ${stream} ${partial ? 'P' : 'F'} ${content}\n`;
}

/** Parses a log file line (without its newline); undefined for a malformed line. */
export function parseLogLine(line: string): LogRecord | undefined {
  const a = line.indexOf(' ');
  const b = a < 0 ? -1 : line.indexOf(' ', a + 1);
  const c = b < 0 ? -1 : line.indexOf(' ', b + 1);
  if (c < 0) return undefined;
  const time = line.slice(0, a);
  const stream = line.slice(a + 1, b);
  const tag = line.slice(b + 1, c);
  const timeMs = Date.parse(time);
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P') || Number.isNaN(timeMs)) {
    return undefined;
  }
  return { time, timeMs, stream, partial: tag === 'P', content: line.slice(c + 1) };
}

/** The selection `GET pods/{name}/log` makes; every field optional. */
export interface LogSelection {
  tailLines?: number;
  /** Only records at or after this time (ms since the epoch). */
  sinceMs?: number;
}

/**
 * Applies `sinceMs` then `tailLines` to records in file order. A line split into partial records
 * counts once for `tailLines`, as kubelet counts it.
 */
export function selectRecords(records: LogRecord[], selection: LogSelection): LogRecord[] {
  const since = selection.sinceMs;
  let out = since === undefined ? records : records.filter((r) => r.timeMs >= since);
  const tail = selection.tailLines;
  if (tail !== undefined && tail >= 0) {
    let lines = 0;
    let start = out.length;
    while (start > 0) {
      const prev = out[start - 1];
      if (prev !== undefined && !prev.partial) {
        if (lines === tail) break;
        lines++;
      }
      start--;
    }
    out = out.slice(start);
  }
  return out;
}

/** A record as the user sees it: the content, prefixed with its time when `timestamps` is set. */
export function renderRecord(record: LogRecord, timestamps: boolean): string {
  const body = record.partial ? record.content : `${record.content}\n`;
  return timestamps ? `${record.time} ${body}` : body;
}
