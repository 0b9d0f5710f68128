import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { ERROR, frame, parseClientMessage } from './channel-protocol.js';

/** What the client of an exec or attach session sends, whatever carries it. */
export type SessionInput = EventEmitter<{
  stdin: [Buffer];
  /** The client closed stdin (kubectl's stdin reached EOF). */
  stdinEnd: [];
  resize: [cols: number, rows: number];
  /** The session is over: the client went away, or it broke the protocol. */
  close: [];
}>;

/**
 * The streams of one exec or attach session: WebSocket channels (`v5`/`v4.channel.k8s.io`) or
 * SPDY streams (`v4`/`v3`/`v2.channel.k8s.io`, kubectl's fallback), so that the command runs the
 * same way under either.
 */
export interface SessionStreams {
  readonly input: SessionInput;
  /** Output on stdout (1) or stderr (2); false when the carrier holds too much unsent. */
  send(channel: 1 | 2, data: Buffer): boolean;
  /** Calls `fn` once the carrier has sent most of what it holds (or the session is over). */
  whenDrained(fn: () => void): void;
  /** Sends the final Status (kubelet's, see `exitStatus`) and ends the session normally. */
  finish(status: { status?: string; message?: string }): void;
  /** Ends the session now (idle timeout). */
  abort(reason: string): void;
}

/** Above this much unsent, output pauses; it resumes below a quarter of it. */
export const HIGH_WATER = 1024 * 1024;

/**
 * A session over WebSocket with Kubernetes' channel protocol: a malformed client message closes
 * it with 1002; `touch` is called on traffic either way (the idle timeout).
 */
export function websocketStreams(ws: WebSocket, touch: () => void): SessionStreams {
  const input: SessionInput = new EventEmitter();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    touch();
    const msg = parseClientMessage(isBinary ? data : Buffer.from(data), ws.protocol);
    if ('error' in msg) ws.close(1002, msg.error.slice(0, 120));
    else if (msg.kind === 'stdin') input.emit('stdin', Buffer.from(msg.data));
    else if (msg.kind === 'resize') input.emit('resize', msg.cols, msg.rows);
    else if (msg.channel === 0) input.emit('stdinEnd');
  });
  ws.once('close', () => input.emit('close'));
  return {
    input,
    send(channel, data) {
      touch();
      if (ws.readyState === ws.OPEN) ws.send(frame(channel, data));
      return ws.bufferedAmount <= HIGH_WATER;
    },
    whenDrained(fn) {
      const check = (): void => {
        if (ws.bufferedAmount <= HIGH_WATER / 4 || ws.readyState !== ws.OPEN) fn();
        else setTimeout(check, 5);
      };
      setTimeout(check, 5);
    },
    finish(status) {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(frame(ERROR, JSON.stringify(status)));
      ws.close(1000);
    },
    abort(reason) {
      ws.close(1000, reason);
    },
  };
}

/** What a running session does with its client's input. */
export interface InputHandlers {
  stdin(data: Buffer): void;
  stdinEnd(): void;
  resize(cols: number, rows: number): void;
}

/**
 * Keeps the client's input from now on until the command is there to take it, then hands it
 * over in order: kubectl sends stdin at once, while the runtime is still starting the command.
 */
export function holdInput(input: SessionInput): (handlers: InputHandlers) => void {
  let target: InputHandlers | undefined;
  const held: ((h: InputHandlers) => void)[] = [];
  const deliver = (f: (h: InputHandlers) => void): void => {
    if (target === undefined) held.push(f);
    else f(target);
  };
  input.on('stdin', (d) => deliver((h) => h.stdin(d)));
  input.on('stdinEnd', () => deliver((h) => h.stdinEnd()));
  input.on('resize', (cols, rows) => deliver((h) => h.resize(cols, rows)));
  return (handlers) => {
    target = handlers;
    for (const f of held.splice(0)) f(handlers);
  };
}
