/**
 * SPDY/3.1 framing, as much as Kubernetes' port-forward protocol (`portforward.k8s.io`) needs:
 * what kubectl's spdystream client sends, alone over an upgraded connection or tunnelled in
 * WebSocket binary messages (`SPDY/3.1+portforward.k8s.io`). Header blocks here are the
 * uncompressed bytes; `spdy-session.ts` runs them through zlib with `SPDY_DICTIONARY`. Pure.
 */

export const SYN_STREAM = 1;
export const SYN_REPLY = 2;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PING = 6;
export const GOAWAY = 7;
export const HEADERS = 8;
export const WINDOW_UPDATE = 9;
export const FLAG_FIN = 0x01;

/** RST_STREAM status codes used here. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_REFUSED_STREAM = 3;

/** Larger frames are refused: port-forward data comes in frames of at most 32 KiB. */
export const MAX_FRAME = 1 << 20;

/** One frame: a control frame (with its type) or a data frame. */
export type Frame =
  | { control: true; type: number; flags: number; payload: Uint8Array }
  | { control: false; streamId: number; flags: number; payload: Uint8Array };

/**
 * Accumulates bytes and yields whole frames. A frame that is not SPDY version 3 or longer than
 * `MAX_FRAME` is an error: the session ends with GOAWAY.
 */
export class FrameReader {
  private buf: Uint8Array = new Uint8Array(0);

  /** Adds bytes; returns the frames now complete, or an error that ends the session. */
  push(bytes: Uint8Array): Frame[] | { error: string } {
    this.buf = this.buf.length === 0 ? bytes : concat(this.buf, bytes);
    const frames: Frame[] = [];
    while (this.buf.length >= 8) {
      const b = this.buf;
      const length = ((b[5] ?? 0) << 16) | ((b[6] ?? 0) << 8) | (b[7] ?? 0);
      if (length > MAX_FRAME) return { error: `frame of ${length} bytes is larger than ${MAX_FRAME}` };
      if (b.length < 8 + length) break;
      const flags = b[4] ?? 0;
      const payload = b.subarray(8, 8 + length);
      if (((b[0] ?? 0) & 0x80) !== 0) {
        const version = (((b[0] ?? 0) & 0x7f) << 8) | (b[1] ?? 0);
        if (version !== 3) return { error: `SPDY version ${version} is not 3` };
        frames.push({ control: true, type: ((b[2] ?? 0) << 8) | (b[3] ?? 0), flags, payload });
      } else {
        frames.push({ control: false, streamId: u32(b, 0) & 0x7fffffff, flags, payload });
      }
      this.buf = b.subarray(8 + length);
    }
    return frames;
  }
}

/** A big-endian unsigned 32-bit number at `at`. */
export function u32(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0)) >>> 0;
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A control frame of `type` with `payload`. */
export function controlFrame(type: number, flags: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  out[0] = 0x80;
  out[1] = 3;
  out[2] = (type >> 8) & 0xff;
  out[3] = type & 0xff;
  put32(out, 4, payload.length);
  out[4] = flags;
  out.set(payload, 8);
  return out;
}

/** A data frame on `streamId`. */
export function dataFrame(streamId: number, flags: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  put32(out, 0, streamId & 0x7fffffff);
  put32(out, 4, data.length);
  out[4] = flags;
  out.set(data, 8);
  return out;
}

/** SYN_REPLY for `streamId` with an already compressed header block. */
export function synReply(streamId: number, compressedHeaders: Uint8Array): Uint8Array {
  const p = new Uint8Array(4 + compressedHeaders.length);
  put32(p, 0, streamId & 0x7fffffff);
  p.set(compressedHeaders, 4);
  return controlFrame(SYN_REPLY, 0, p);
}

/** RST_STREAM for `streamId` with `status`. */
export function rstStream(streamId: number, status: number): Uint8Array {
  const p = new Uint8Array(8);
  put32(p, 0, streamId & 0x7fffffff);
  put32(p, 4, status);
  return controlFrame(RST_STREAM, 0, p);
}

/** GOAWAY naming the last stream accepted. */
export function goAway(lastStreamId: number, status: number): Uint8Array {
  const p = new Uint8Array(8);
  put32(p, 0, lastStreamId & 0x7fffffff);
  put32(p, 4, status);
  return controlFrame(GOAWAY, 0, p);
}

/** The parts of a SYN_STREAM: its id, flags and compressed header block. */
export function parseSynStream(
  payload: Uint8Array,
): { streamId: number; headerBlock: Uint8Array } | undefined {
  if (payload.length < 10) return undefined;
  return { streamId: u32(payload, 0) & 0x7fffffff, headerBlock: payload.subarray(10) };
}

/**
 * Reads an uncompressed SPDY/3 header block: a count, then length-prefixed names and values
 * (several values of one name separated by NUL). Names are lower-cased.
 */
export function decodeHeaderBlock(b: Uint8Array): Map<string, string> | undefined {
  if (b.length < 4) return undefined;
  const n = u32(b, 0);
  const out = new Map<string, string>();
  const text = new TextDecoder();
  let at = 4;
  for (let i = 0; i < n; i++) {
    const parts: string[] = [];
    for (let j = 0; j < 2; j++) {
      if (at + 4 > b.length) return undefined;
      const len = u32(b, at);
      at += 4;
      if (at + len > b.length) return undefined;
      parts.push(text.decode(b.subarray(at, at + len)));
      at += len;
    }
    out.set((parts[0] ?? '').toLowerCase(), parts[1] ?? '');
  }
  return out;
}

/** Writes an uncompressed SPDY/3 header block. */
export function encodeHeaderBlock(headers: ReadonlyMap<string, string>): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const [k, v] of headers) parts.push(enc.encode(k.toLowerCase()), enc.encode(v));
  const out = new Uint8Array(4 + parts.reduce((s, p) => s + 4 + p.length, 0));
  put32(out, 0, headers.size);
  let at = 4;
  for (const p of parts) {
    put32(out, at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

const WORDS =
  'options head post put delete trace accept accept-charset accept-encoding accept-language ' +
  'accept-ranges age allow authorization cache-control connection content-base content-encoding ' +
  'content-language content-length content-location content-md5 content-range content-type date ' +
  'etag expect expires from host if-match if-modified-since if-none-match if-range ' +
  'if-unmodified-since last-modified location max-forwards pragma proxy-authenticate ' +
  'proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade ' +
  'user-agent vary via warning www-authenticate method get status 200\u00a0OK version HTTP/1.1 url ' +
  'public set-cookie keep-alive origin';

const TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request' +
  '401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented' +
  '503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ' +
  'Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,' +
  'application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=' +
  'gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/**
 * The zlib dictionary of SPDY/3 header compression (draft 3, section 2.6.10.1): the common
 * header words, each after its 32-bit length, then a run of common values. Built from the words
 * rather than spelled as 1,400 hex bytes.
 */
export const SPDY_DICTIONARY: Uint8Array = (() => {
  const enc = new TextEncoder();
  const words = WORDS.split(' ').map((w) => enc.encode(w.replace('\u00a0', ' ')));
  const tail = enc.encode(TAIL);
  const out = new Uint8Array(words.reduce((s, w) => s + 4 + w.length, 0) + tail.length);
  let at = 0;
  for (const w of words) {
    put32(out, at, w.length);
    out.set(w, at + 4);
    at += 4 + w.length;
  }
  out.set(tail, at);
  return out;
})();
