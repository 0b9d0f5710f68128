import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Runtime } from '../runtime/index.js';
import {
  CHANNEL_PROTOCOLS,
  STDERR,
  STDOUT,
  exitStatus,
  failureStatus,
  parseStreamRequest,
} from './channel-protocol.js';
import { holdInput, websocketStreams, type SessionStreams } from './session-streams.js';
import { acceptSpdy, type SpdySession } from './spdy-session.js';
import { SPDY_CHANNEL_PROTOCOLS, pickSpdyProtocol, spdyStreams } from './spdy-streams.js';

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
 * Serves `exec` and `attach` as kubelet does: over WebSocket with Kubernetes' channel protocol
 * (`v5`/`v4.channel.k8s.io`, see `channel-protocol.ts`), or over SPDY/3.1 with one stream per
 * channel (`v4`/`v3`/`v2.channel.k8s.io`, kubectl's fallback, see `spdy-streams.ts`): stdin,
 * stdout and stderr of a command the runtime starts with its streams open
 * (`Runtime.execStream`), terminal resizes, and the exit Status. Attach joins the container's
 * own stdin where the runtime keeps one (`Runtime.attach`) and follows its log for output.
 */
export class ExecServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 1024 * 1024,
    handleProtocols: (offered) => CHANNEL_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  private readonly spdy = new Set<SpdySession>();

  constructor(
    private readonly runtime: Runtime,
    private readonly gate: SessionGate,
  ) {}

  /** Completes the WebSocket or SPDY handshake (or answers why not) and runs the session. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, target: StreamTarget): void {
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    const spdyProtocol = pickSpdyProtocol(req.headers['x-stream-protocol-version']);
    if (upgrade === 'spdy/3.1' && spdyProtocol === undefined)
      return rawAnswer(
        socket,
        400,
        `unable to negotiate a stream protocol: this node serves ${SPDY_CHANNEL_PROTOCOLS.join(', ')}`,
      );
    const release = this.gate.take();
    if (release === undefined) {
      rawAnswer(socket, 429, `too many streaming sessions on this node (at most ${this.gate.max})`);
      return;
    }
    socket.once('close', release);
    const abort = new AbortController();
    let streams: SessionStreams | undefined;
    const idle = this.gate.idleTimer(() => {
      abort.abort();
      streams?.abort('idle timeout');
    });
    const start = (s: SessionStreams): void => {
      streams = s;
      s.input.once('close', () => {
        idle.stop();
        abort.abort();
      });
      const run = target.kind === 'exec' ? this.exec(s, target, abort) : this.attach(s, target, abort);
      run.catch((err: unknown) => s.finish(failureStatus((err as Error).message)));
    };
    if (upgrade === 'spdy/3.1' && spdyProtocol !== undefined) {
      const session = acceptSpdy(socket, head, spdyProtocol);
      this.spdy.add(session);
      session.once('close', () => {
        this.spdy.delete(session);
        idle.stop();
        abort.abort();
      });
      const request = parseStreamRequest(target.query);
      void spdyStreams(session, request, { protocol: spdyProtocol, touch: idle.touch }).then(
        (s) => s !== undefined && start(s),
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => start(websocketStreams(ws, idle.touch)));
  }

  private async exec(s: SessionStreams, target: StreamTarget, abort: AbortController): Promise<void> {
    const request = parseStreamRequest(target.query);
    if (request.command.length === 0) return s.finish(failureStatus('you must specify a command'));
    if (this.runtime.execStream === undefined)
      return s.finish(failureStatus(`the ${this.runtime.name} runtime cannot exec into containers`));
    const take = holdInput(s.input);
    const session = await this.runtime.execStream(target.containerId, request.command, {
      tty: request.tty,
      stdin: request.stdin,
      signal: abort.signal,
    });
    session.stdin?.on('error', () => undefined);
    take({
      stdin: (d) => session.stdin?.write(d),
      stdinEnd: () => session.stdin?.end(),
      resize: (cols, rows) => session.resize(cols, rows),
    });
    const sent = [forward(s, session.stdout, STDOUT)];
    if (session.stderr !== null) sent.push(forward(s, session.stderr, STDERR));
    const code = await session.exited;
    await Promise.all(sent);
    s.finish(exitStatus(code, request.command));
  }

  /**
   * Follows the container's output from now on (its log) and, with `stdin`, writes into its own
   * stdin; ends when the container does (or the client goes).
   */
  private async attach(s: SessionStreams, target: StreamTarget, abort: AbortController): Promise<void> {
    const request = parseStreamRequest(target.query);
    const take = holdInput(s.input);
    const output = await this.runtime.logs(target.containerId, {
      follow: true,
      tailLines: 0,
      signal: abort.signal,
    });
    s.input.once('close', () => output.destroy());
    if (request.stdin) {
      const stdin = await this.runtime.attach?.(target.containerId);
      if (stdin === undefined || stdin === null) {
        output.destroy();
        return s.finish(
          failureStatus(
            'stdin is not open for this container: its spec must set stdin: true to attach with -i',
          ),
        );
      }
      stdin.on('error', () => undefined);
      s.input.once('close', () => stdin.end());
      take({ stdin: (d) => stdin.write(d), stdinEnd: () => stdin.end(), resize: () => undefined });
    }
    await forward(s, output, STDOUT);
    s.finish(exitStatus(0, []));
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    for (const session of [...this.spdy]) session.close();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}

/** Sends what `from` yields on `channel`, pausing while the carrier holds too much. */
function forward(s: SessionStreams, from: Readable, channel: 1 | 2): Promise<void> {
  return new Promise((resolve) => {
    from.on('data', (d: Buffer) => {
      if (s.send(channel, d)) return;
      from.pause();
      s.whenDrained(() => from.resume());
    });
    from.once('end', () => resolve());
    from.once('error', () => resolve());
    from.once('close', () => resolve());
  });
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
