/**
 * A minimal protocol buffers writer (wire format only, proto3 rules: fields at their default
 * value are left out). Messages are built bottom-up as byte chunks, so a nested message is
 * encoded once and its length is known when its parent is written. Pure.
 */
export type Chunk = Uint8Array;

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function lengthDelimited(field: number, payload: Uint8Array): Chunk {
  const head = [...varint((field << 3) | 2), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/** Concatenates chunks into one buffer. */
export function concat(chunks: readonly Chunk[]): Uint8Array {
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A string field; the empty string is the default and is left out. */
export function str(field: number, value: string | undefined): Chunk {
  return value === undefined || value === '' ? EMPTY : lengthDelimited(field, encoder.encode(value));
}

/** A repeated string field. */
export function strs(field: number, values: readonly string[] | undefined): Chunk {
  return concat((values ?? []).map((v) => lengthDelimited(field, encoder.encode(v))));
}

/** A bool field; false is the default and is left out. */
export function bool(field: number, value: boolean | undefined): Chunk {
  return value === true ? new Uint8Array([...varint(field << 3), 1]) : EMPTY;
}

/** An embedded message field, written even when empty (presence matters for messages). */
export function message(field: number, parts: readonly Chunk[]): Chunk {
  return lengthDelimited(field, concat(parts));
}
