import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Runtime } from '../runtime/index.js';
import {
  CHANNEL_PROTOCOLS,
  ERROR,
  STDERR,
  STDOUT,
  exitStatus,
  failureStatus,
  frame,
  parseClientMessage,
  parseStreamRequest,
} from './channel-protocol.js';

/** Limits of streaming sessions (exec, attach, port-forward) on one agent. */
export interface StreamLimits {
  /**
   * A session with no traffic either way for this long is closed, as kubelet's
   * `--streaming-connection-idle-timeout` (default 4 h).
   */
  idleTimeoutMs?: number;
  /** Sessions open at once on this agent; one more is refused with 429 (default 64). */
  maxSessions?: number;
}

/** Counts open sessions and closes idle ones. */
export class SessionGate {
  private open = 0;
  readonly idleMs: number;
  readonly max: number;

  constructor(limits: StreamLimits = {}) {
    this.idleMs = limits.idleTimeoutMs ?? 4 * 3600_000;
    this.max = limits.maxSessions ?? 64;
  }

  /** Takes a slot, or undefined when all are taken; the returned function gives it back once. */
  take(): (() => void) | undefined {
    if (this.open >= this.max) return undefined;
    this.open++;
    let given = false;
    return () => {
      if (!given) this.open--;
      given = true;
    };
  }

  /** Sessions open now; for tests and metrics. */
  get count(): number {
    return this.open;
  }

  /** Calls `onIdle` after `idleMs` without `touch()`; `stop()` ends the watch. */
  idleTimer(onIdle: () => void): { touch: () => void; stop: () => void } {
    const timer = setTimeout(onIdle, this.idleMs);
    timer.unref();
    return {
      touch: () => timer.refresh(),
      stop: () => clearTimeout(timer),
    };
  }
}

/** One upgraded exec or attach request, its container found. */
export interface StreamTarget {
  kind: 'exec' | 'attach';
  containerId: string;
  query: URLSearchParams;
}

/**
 * Serves `exec` and `attach` over WebSocket with Kubernetes' channel protocol (see
 * `channel-protocol.ts`): stdin, stdout and stderr of a command the runtime starts with its
 * streams open (`Runtime.execStream`), terminal resizes, and the exit Status on the error
 * channel. A runtime without an attach of its own is attached to by following the container's
 * log (output only: the `process` runtime keeps no stdin pipe for its containers).
 */
export class ExecServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 1024 * 1024,
    handleProtocols: (offered) => CHANNEL_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  constructor(
    private readonly runtime: Runtime,
    private readonly gate: SessionGate,
  ) {}

  /** Completes the WebSocket handshake (or answers why not) and runs the session. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, target: StreamTarget): void {
    const release = this.gate.take();
    if (release === undefined) {
      rawAnswer(socket, 429, `too many streaming sessions on this node (at most ${this.gate.max})`);
      return;
    }
    socket.once('close', release);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const run = target.kind === 'exec' ? this.exec(ws, target) : this.attach(ws, target);
      run.catch((err: unknown) => endWith(ws, failureStatus((err as Error).message)));
    });
  }

  private async exec(ws: WebSocket, target: StreamTarget): Promise<void> {
    const request = parseStreamRequest(target.query);
    if (request.command.length === 0) return endWith(ws, failureStatus('you must specify a command'));
    if (this.runtime.execStream === undefined)
      return endWith(ws, failureStatus(`the ${this.runtime.name} runtime cannot exec into containers`));
    const abort = new AbortController();
    const idle = this.gate.idleTimer(() => {
      abort.abort();
      ws.close(1000, 'idle timeout');
    });
    ws.once('close', () => {
      idle.stop();
      abort.abort();
    });
    const session = await this.runtime.execStream(target.containerId, request.command, {
      tty: request.tty,
      stdin: request.stdin,
      signal: abort.signal,
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      idle.touch();
      const msg = parseClientMessage(isBinary ? data : Buffer.from(data), ws.protocol);
      if ('error' in msg) {
        abort.abort();
        ws.close(1002, msg.error.slice(0, 120));
        return;
      }
      if (msg.kind === 'stdin') session.stdin?.write(msg.data);
      else if (msg.kind === 'resize') session.resize(msg.cols, msg.rows);
      else if (msg.channel === 0) session.stdin?.end();
    });
    session.stdin?.on('error', () => undefined);
    const sent = [forward(ws, session.stdout, STDOUT, idle.touch)];
    if (session.stderr !== null) sent.push(forward(ws, session.stderr, STDERR, idle.touch));
    const code = await session.exited;
    await Promise.all(sent);
    endWith(ws, exitStatus(code, request.command));
  }

  private async attach(ws: WebSocket, target: StreamTarget): Promise<void> {
    const abort = new AbortController();
    const idle = this.gate.idleTimer(() => {
      abort.abort();
      ws.close(1000, 'idle timeout');
    });
    ws.once('close', () => {
      idle.stop();
      abort.abort();
    });
    ws.on('message', (data: Buffer) => {
      idle.touch();
      const msg = parseClientMessage(data, ws.protocol);
      if ('error' in msg) ws.close(1002, msg.error.slice(0, 120));
    });
    const output = await this.runtime.logs(target.containerId, {
      follow: true,
      tailLines: 0,
      signal: abort.signal,
    });
    ws.once('close', () => output.destroy());
    await forward(ws, output, STDOUT, idle.touch);
    endWith(ws, exitStatus(0, []));
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}

/** Sends what `from` yields on `channel`, pausing while the socket's buffer is full. */
function forward(ws: WebSocket, from: Readable, channel: number, touch: () => void): Promise<void> {
  return new Promise((resolve) => {
    from.on('data', (d: Buffer) => {
      touch();
      if (ws.readyState !== ws.OPEN) return;
      ws.send(frame(channel, d));
      if (ws.bufferedAmount > 1024 * 1024) {
        from.pause();
        const resume = (): void => {
          if (ws.bufferedAmount <= 256 * 1024 || ws.readyState !== ws.OPEN) from.resume();
          else setTimeout(resume, 5);
        };
        setTimeout(resume, 5);
      }
    });
    from.once('end', () => resolve());
    from.once('error', () => resolve());
    from.once('close', () => resolve());
  });
}

/** Sends the final Status on the error channel and closes the socket normally. */
function endWith(ws: WebSocket, status: object): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(frame(ERROR, JSON.stringify(status)));
  ws.close(1000);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/** Answers an upgrade request that will not be upgraded with a plain HTTP response. */
export function rawAnswer(socket: Duplex, status: number, message: string): void {
  const body = Buffer.from(message);
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${body.length}\r\nconnection: close\r\n\r\n${message}`,
  );
}
