/**
 * The access log: one JSON line per request (L7) or connection (L4), appended to a file by
 * every thread through its own descriptor (O_APPEND; lines are written whole, in batches of at
 * most 64 KiB or every 200 ms), so threads never wait on each other or on the disk.
 */
import { closeSync, openSync, write } from 'node:fs';

/** One logged request or connection. */
export interface AccessLogEntry {
  /** ISO time the request or connection started. */
  time: string;
  listener: string;
  client: string;
  method?: string;
  path?: string;
  status: number;
  /** The endpoint that served it (id), or "-" when none did. */
  endpoint: string;
  attempts: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  /** Why it failed, when it did: no-endpoint, connect-failed, timeout, … */
  error?: string;
}

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 200;

/** A buffered appender; `close()` flushes what is left. */
export class AccessLog {
  private readonly fd: number;
  private lines: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.fd = openSync(path, 'a', 0o640);
  }

  add(entry: AccessLogEntry): void {
    const line = JSON.stringify(entry) + '\n';
    this.lines.push(line);
    this.bytes += line.length;
    if (this.bytes >= FLUSH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const chunk = Buffer.from(this.lines.join(''));
    this.lines = [];
    this.bytes = 0;
    this.writing = this.writing.then(
      () => new Promise<void>((resolve) => write(this.fd, chunk, () => resolve())),
    );
  }

  async close(): Promise<void> {
    this.flush();
    await this.writing;
    closeSync(this.fd);
  }
}
