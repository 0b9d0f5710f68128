import { EventEmitter } from 'node:events';
import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { formatLogLine, formatTimestamp, type LogRecord, type LogStream } from './cri-log.js';

/** Size and count limits of a container's log files. */
export interface LogRotation {
  /** Rotate when the current file exceeds this many bytes; default 10 MiB. */
  maxBytes?: number;
  /** Files kept per attempt, the current one included; default 5. */
  maxFiles?: number;
}

/** Lines longer than this are split into partial (`P`) records, as CRI runtimes do. */
const MAX_RECORD = 16 * 1024;

let lastNs = 0n;
/** Nanoseconds since the epoch, strictly increasing within this process so records keep their order. */
function nowNs(): bigint {
  const ms = BigInt(Date.now());
  const sub = process.hrtime.bigint() % 1_000_000n;
  let ns = ms * 1_000_000n + sub;
  if (ns <= lastNs) ns = lastNs + 1n;
  lastNs = ns;
  return ns;
}

/** The path of an attempt's current log file. */
export function logFilePath(dir: string, attempt: number): string {
  return join(dir, `${attempt}.log`);
}

/**
 * Writes one container attempt's stdout and stderr to `<dir>/<attempt>.log` in the CRI format,
 * rotating by size (`<attempt>.log.1` is the newest rotated file). Writes are synchronous so that
 * a reader that reads the files and then subscribes to `record` in the same tick misses nothing.
 * Emits `record` (LogRecord) for each record and `end` when both streams have ended.
 *
 * A write the disk refuses (ENOSPC, EIO) never throws: the file is cut back to its last whole
 * line, the output is dropped (counted in `droppedBytes`) and `writeError` is emitted once when
 * writes start failing (again after one succeeded), so the container runs on and whoever owns the
 * writer reports it.
 */
export class LogWriter extends EventEmitter {
  /** Undefined after a rotation that could not open the new file; the next write tries again. */
  private fd: number | undefined;
  private size = 0;
  private failing = false;
  /** Bytes of output dropped because the disk refused them. */
  droppedBytes = 0;
  private readonly pending: Record<LogStream, string> = { stdout: '', stderr: '' };
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private closed = false;

  constructor(
    readonly dir: string,
    readonly attempt: number,
    rotation: LogRotation = {},
  ) {
    super();
    this.maxBytes = rotation.maxBytes ?? 10 * 1024 * 1024;
    this.maxFiles = Math.max(1, rotation.maxFiles ?? 5);
    mkdirSync(dir, { recursive: true });
    this.fd = openSync(logFilePath(dir, attempt), 'a');
    this.size = fstatSync(this.fd).size;
  }

  /** Appends a chunk of a stream; complete lines become records, the rest waits for its newline. */
  write(stream: LogStream, chunk: Buffer | string): void {
    if (this.closed) return;
    let text = this.pending[stream] + chunk.toString();
    const batch: [string, boolean][] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      batch.push([text.slice(start, nl), false]);
      start = nl + 1;
    }
    text = text.slice(start);
    while (text.length > MAX_RECORD) {
      batch.push([text.slice(0, MAX_RECORD), true]);
      text = text.slice(MAX_RECORD);
    }
    this.pending[stream] = text;
    this.append(stream, batch);
  }

  /** Writes what is left of both streams as full lines and closes the file. */
  close(): void {
    if (this.closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream] !== '') this.append(stream, [[this.pending[stream], false]]);
      this.pending[stream] = '';
    }
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.emit('end');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Few synchronous writes per chunk: one, plus one per rotation inside it. */
  private append(stream: LogStream, batch: [string, boolean][]): void {
    if (batch.length === 0) return;
    const follow = this.listenerCount('record') > 0;
    let out = '';
    let outBytes = 0;
    const flush = (): void => {
      if (outBytes === 0) return;
      this.put(out, outBytes);
      out = '';
      outBytes = 0;
    };
    for (const [content, partial] of batch) {
      const time = formatTimestamp(nowNs());
      const line = formatLogLine(time, stream, partial, content);
      out += line;
      outBytes += Buffer.byteLength(line);
      if (follow) {
        this.emit('record', { time, timeMs: Date.parse(time), stream, partial, content } satisfies LogRecord);
      }
      // Rotate at line granularity even inside a big chunk, so files stay near maxBytes.
      if (this.size + outBytes >= this.maxBytes) {
        flush();
        this.rotate();
      }
    }
    flush();
  }

  /** One synchronous write; a refused one is dropped and reported (see the class comment). */
  private put(text: string, bytes: number): void {
    try {
      this.fd ??= openSync(logFilePath(this.dir, this.attempt), 'a');
      const n = writeSync(this.fd, text);
      if (n < bytes) {
        throw Object.assign(new Error(`short write: ${n} of ${bytes} bytes`), { code: 'ENOSPC' });
      }
      this.size += n;
      this.failing = false;
    } catch (err) {
      try {
        if (this.fd !== undefined) ftruncateSync(this.fd, this.size);
      } catch {
        // the next write appends after the torn line; a reader skips what it cannot parse
      }
      this.droppedBytes += bytes;
      if (!this.failing) {
        this.failing = true;
        this.emit('writeError', err);
      }
    }
  }

  private rotate(): void {
    try {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
      const base = logFilePath(this.dir, this.attempt);
      rmSync(`${base}.${this.maxFiles - 1}`, { force: true });
      for (let i = this.maxFiles - 2; i >= 1; i--) {
        if (existsSync(`${base}.${i}`)) renameSync(`${base}.${i}`, `${base}.${i + 1}`);
      }
      if (this.maxFiles > 1) renameSync(base, `${base}.1`);
      else rmSync(base, { force: true });
      this.size = 0;
      this.fd = openSync(base, 'a');
    } catch (err) {
      // The next write opens the current file again (appending to it if the rename failed).
      if (!this.failing) {
        this.failing = true;
        this.emit('writeError', err);
      }
    }
  }
}
