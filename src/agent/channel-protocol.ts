/**
 * Kubernetes' remote command protocol over WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`):
 * every binary message starts with a channel byte. Client to server: 0 stdin, 4 resize
 * (`{"Width":W,"Height":H}`), 255 close (v5: the payload names the channel the client closed,
 * 0 for stdin EOF). Server to client: 1 stdout, 2 stderr, 3 the final Status (JSON). Pure.
 */

/** The subprotocols served, best first (kubectl 1.32 offers only v5). */
export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
export const CLOSE = 255;

/** What one client message means. */
export type ClientMessage =
  | { kind: 'stdin'; data: Uint8Array }
  | { kind: 'resize'; cols: number; rows: number }
  | { kind: 'close'; channel: number };

/** Reads one client message, or says why it is malformed (which ends the session). */
export function parseClientMessage(msg: Uint8Array, protocol: string): ClientMessage | { error: string } {
  if (msg.length === 0) return { error: 'empty message without a channel byte' };
  const channel = msg[0];
  const data = msg.subarray(1);
  if (channel === STDIN) return { kind: 'stdin', data };
  if (channel === RESIZE) {
    let size: unknown;
    try {
      size = JSON.parse(new TextDecoder().decode(data));
    } catch {
      return { error: 'resize message is not JSON' };
    }
    const { Width, Height } = (size ?? {}) as { Width?: unknown; Height?: unknown };
    if (!isDimension(Width) || !isDimension(Height))
      return { error: 'resize message needs integer Width and Height from 0 to 65535' };
    return { kind: 'resize', cols: Width, rows: Height };
  }
  if (channel === CLOSE && protocol === 'v5.channel.k8s.io') {
    if (data.length !== 1) return { error: 'close message must name one channel' };
    return { kind: 'close', channel: data[0] ?? 0 };
  }
  return { error: `channel ${channel ?? 0} is not one a client may write` };
}

function isDimension(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;
}

/** A server message on `channel`. */
export function frame(channel: number, data: Uint8Array | string): Uint8Array {
  const body = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const out = new Uint8Array(body.length + 1);
  out[0] = channel;
  out.set(body, 1);
  return out;
}

/**
 * The Status sent on the error channel when the command ends, as kubelet sends it: Success for
 * 0; otherwise reason NonZeroExitCode with the code as the `ExitCode` cause, from which kubectl
 * takes its own exit code.
 */
export function exitStatus(exitCode: number, command: readonly string[]): object {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** The Status sent on the error channel when the session failed before or beside the command. */
export function failureStatus(message: string): object {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

/** What `exec` and `attach` ask for, from their query (kubectl's parameter names). */
export interface StreamRequest {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Reads the exec/attach query; with a tty there is no stderr stream (kubelet refuses both). */
export function parseStreamRequest(q: URLSearchParams): StreamRequest {
  const flag = (k: string): boolean => {
    const v = q.get(k);
    return v === 'true' || v === '1';
  };
  const tty = flag('tty');
  return {
    command: q.getAll('command'),
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    stderr: flag('stderr') && !tty,
    tty,
  };
}
