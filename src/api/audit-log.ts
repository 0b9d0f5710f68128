import {
  closeSync,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import type { Clock } from '../common/clock.js';
import { auditEvent, shouldAudit, type AuditEvent, type AuditTrace } from './audit-event.js';
import type { RequestInfo } from './request-attributes.js';

/** Where and how much the audit log keeps (kube-apiserver's `--audit-log-*` flags). */
export interface AuditLogOptions {
  /** The file written (`--audit-log-path`); created mode 0600. */
  path: string;
  /** Size at which the file is rotated (`--audit-log-maxsize`, there in MB); default 50 MiB. */
  maxBytes?: number;
  /** Rotated files kept, `PATH.1` the newest (`--audit-log-maxbackup`); default 5. */
  maxBackups?: number;
}

/** Where the API server sends its audit events. */
export interface AuditSink {
  record(event: AuditEvent): void;
}

/**
 * The audit log: one `audit.k8s.io/v1` Event per line (JSON lines), appended with synchronous
 * writes so that the events of requests are in the order they completed and none is lost to a
 * crash of the process after the reply. At `maxBytes` the file becomes `PATH.1` (older ones move
 * up, past `maxBackups` they are removed), so the log holds at most (maxBackups + 1) × maxBytes.
 * A write that fails (a full disk) drops that event, counts it in `stats.dropped` and warns;
 * requests are served on, as kube-apiserver's log backend does.
 */
export class AuditLog implements AuditSink {
  private fd: number | undefined;
  private size = 0;
  private failing = false;
  private readonly maxBytes: number;
  private readonly maxBackups: number;
  /** Events written and events dropped because their write failed. */
  readonly stats = { written: 0, dropped: 0 };

  constructor(private readonly options: AuditLogOptions) {
    this.maxBytes = Math.max(1, options.maxBytes ?? 50 * 1024 * 1024);
    this.maxBackups = Math.max(0, options.maxBackups ?? 5);
    mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    this.open();
  }

  record(event: AuditEvent): void {
    const line = Buffer.from(`${JSON.stringify(event)}\n`);
    try {
      if (this.fd !== undefined && this.size > 0 && this.size + line.length > this.maxBytes) this.rotate();
      if (this.fd === undefined) this.open();
      let off = 0;
      while (off < line.length) off += writeSync(this.fd as number, line, off);
      this.size += line.length;
      this.stats.written++;
      this.failing = false;
    } catch (err) {
      this.stats.dropped++;
      if (!this.failing) process.emitWarning(`audit log ${this.options.path}: ${(err as Error).message}`);
      this.failing = true;
    }
  }

  /** Closes the file; later events reopen it. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): void {
    this.fd = openSync(this.options.path, 'a', 0o600);
    fchmodSync(this.fd, 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    const { path } = this.options;
    if (this.maxBackups === 0) rmSync(path, { force: true });
    else {
      rmSync(`${path}.${this.maxBackups}`, { force: true });
      for (let i = this.maxBackups - 1; i >= 1; i--) renameIfThere(`${path}.${i}`, `${path}.${i + 1}`);
      renameSync(path, `${path}.1`);
    }
    this.open();
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Sends the audit event of a request to `sink` once its reply is done (or the connection went):
 * mutating requests and refused ones (`shouldAudit`); `trace` is what serving it found out.
 */
export function auditWhenDone(
  sink: AuditSink,
  http: { req: IncomingMessage; res: ServerResponse },
  request: { info: RequestInfo; trace: AuditTrace },
  clock: Clock,
): void {
  const { req, res } = http;
  const receivedMs = clock.now();
  res.once('close', () => {
    const code = res.statusCode;
    const method = req.method ?? 'GET';
    if ((method === 'GET' || method === 'HEAD') && code !== 401 && code !== 403) return;
    const info = request.info;
    if (!shouldAudit(info.verb, code)) return;
    const agent = req.headers['user-agent'];
    sink.record(
      auditEvent({
        id: randomUUID(),
        info,
        requestURI: req.url ?? '/',
        sourceIP: req.socket.remoteAddress ?? '',
        userAgent: agent,
        code,
        trace: request.trace,
        receivedMs,
        doneMs: clock.now(),
      }),
    );
  });
}
