import { EventEmitter } from 'node:events';
import type { StreamRequest } from './channel-protocol.js';
import { RST_REFUSED_STREAM } from './spdy-frames.js';
import type { SpdySession, SpdyStream } from './spdy-session.js';
import type { SessionInput, SessionStreams } from './session-streams.js';

/**
 * The remote command protocols served over SPDY, best first: what kubectl offers in
 * `X-Stream-Protocol-Version` when it falls back from WebSocket (v5 is WebSocket only). v4
 * sends the final Status as JSON; v3 and v2 only a failure's message as text; v2 has no resize.
 */
export const SPDY_CHANNEL_PROTOCOLS = [
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
] as const;

/** The protocol to answer with, from the client's offers (one header, values comma-separated). */
export function pickSpdyProtocol(offered: string | string[] | undefined): string | undefined {
  const list = (Array.isArray(offered) ? offered.join(',') : (offered ?? '')).split(',').map((s) => s.trim());
  return list.find((p) => (SPDY_CHANNEL_PROTOCOLS as readonly string[]).includes(p));
}

/** The client's streams must all be open within this long, as kubelet's stream creation timeout. */
const STREAMS_TIMEOUT_MS = 30_000;

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/** The streams kubelet waits for: error always, the rest as the request and protocol ask. */
function expectedStreams(request: StreamRequest, protocol: string): Set<StreamType> {
  const want = new Set<StreamType>(['error']);
  if (request.stdin) want.add('stdin');
  if (request.stdout) want.add('stdout');
  if (request.stderr) want.add('stderr');
  if (request.tty && protocol !== 'v2.channel.k8s.io') want.add('resize');
  return want;
}

/**
 * Reads `{"Width":W,"Height":H}` objects as kubectl's JSON encoder writes them one after another
 * on the resize stream; undefined for a malformed one. Pure.
 */
export function readSizes(
  buffered: string,
): { sizes: { cols: number; rows: number }[]; rest: string } | undefined {
  const sizes: { cols: number; rows: number }[] = [];
  let rest = buffered;
  for (let end = rest.indexOf('}'); end >= 0; end = rest.indexOf('}')) {
    let size: unknown;
    try {
      size = JSON.parse(rest.slice(0, end + 1));
    } catch {
      return undefined;
    }
    const { Width, Height } = (size ?? {}) as { Width?: unknown; Height?: unknown };
    const ok = (v: unknown): v is number =>
      typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;
    if (!ok(Width) || !ok(Height)) return undefined;
    sizes.push({ cols: Width, rows: Height });
    rest = rest.slice(end + 1);
  }
  return rest.length > 4096 ? undefined : { sizes, rest };
}

/**
 * Waits for the streams kubectl opens on a SPDY session for exec or attach (typed by their
 * `streamType` header) and serves them as `SessionStreams`: stdin data and its FIN, resizes,
 * output on stdout and stderr, and the final Status on the error stream, after which every
 * stream is half-closed and the session ends. Resolves with undefined, the session closed, when
 * the streams do not all come within 30 s.
 */
export function spdyStreams(
  session: SpdySession,
  request: StreamRequest,
  options: { protocol: string; touch: () => void },
): Promise<SessionStreams | undefined> {
  const want = expectedStreams(request, options.protocol);
  const got = new Map<StreamType, SpdyStream>();
  const input: SessionInput = new EventEmitter();
  session.once('close', () => input.emit('close'));
  let sizes = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      session.close('the client did not open its streams in time');
      resolve(undefined);
    }, STREAMS_TIMEOUT_MS);
    timer.unref();
    session.once('close', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    session.on('stream', (stream) => {
      options.touch();
      const type = stream.headers.get('streamtype') as StreamType | undefined;
      if (type === undefined || !want.has(type) || got.has(type)) return stream.reset(RST_REFUSED_STREAM);
      got.set(type, stream);
      stream.on('data', (d) => {
        options.touch();
        if (type === 'stdin') input.emit('stdin', d);
        if (type !== 'resize') return;
        const read = readSizes(sizes + d.toString());
        if (read === undefined) return session.close('malformed resize message');
        sizes = read.rest;
        for (const s of read.sizes) input.emit('resize', s.cols, s.rows);
      });
      if (type === 'stdin') stream.once('end', () => input.emit('stdinEnd'));
      if (got.size < want.size) return;
      clearTimeout(timer);
      resolve(served(session, got, input, options));
    });
  });
}

function served(
  session: SpdySession,
  got: Map<StreamType, SpdyStream>,
  input: SessionInput,
  options: { protocol: string; touch: () => void },
): SessionStreams {
  return {
    input,
    send(channel, data) {
      options.touch();
      return got.get(channel === 1 ? 'stdout' : 'stderr')?.write(data) ?? true;
    },
    whenDrained: (fn) => session.whenDrained(fn),
    finish(status) {
      const error = got.get('error');
      if (options.protocol === 'v4.channel.k8s.io') error?.write(Buffer.from(JSON.stringify(status)));
      else if (status.status !== 'Success') error?.write(Buffer.from(status.message ?? 'unknown error'));
      for (const s of got.values()) s.end();
      session.close();
    },
    abort: (reason) => session.close(reason),
  };
}
