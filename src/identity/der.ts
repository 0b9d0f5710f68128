/**
 * The few ASN.1 DER encodings an X.509 certificate needs. Pure: bytes in, bytes out, so that
 * the certificate builder is tested without I/O.
 */

/** A DER TLV with the given tag and content. */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  const len = content.length;
  let header: number[];
  if (len < 0x80) header = [tag, len];
  else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  const out = new Uint8Array(header.length + len);
  out.set(header, 0);
  out.set(content, header.length);
  return out;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** SEQUENCE of the given elements. */
export function sequence(...items: Uint8Array[]): Uint8Array {
  return tlv(0x30, concat(...items));
}

/** SET of the given elements (already in DER order). */
export function set(...items: Uint8Array[]): Uint8Array {
  return tlv(0x31, concat(...items));
}

/** A non-negative INTEGER from big-endian magnitude bytes. */
export function integer(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let body = magnitude.subarray(i);
  if ((body[0] ?? 0) & 0x80) body = concat(new Uint8Array([0]), body);
  return tlv(0x02, body);
}

/** A small non-negative INTEGER. */
export function smallInteger(n: number): Uint8Array {
  return integer(new Uint8Array([n]));
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const bytes: number[] = [40 * (arcs[0] ?? 0) + (arcs[1] ?? 0)];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, new Uint8Array(bytes));
}

/** A UTF8String. */
export function utf8(text: string): Uint8Array {
  return tlv(0x0c, new TextEncoder().encode(text));
}

/** An OCTET STRING. */
export function octets(bytes: Uint8Array): Uint8Array {
  return tlv(0x04, bytes);
}

/** A BIT STRING with no unused bits. */
export function bits(bytes: Uint8Array): Uint8Array {
  return tlv(0x03, concat(new Uint8Array([0]), bytes));
}

/** BOOLEAN. */
export function boolean(value: boolean): Uint8Array {
  return tlv(0x01, new Uint8Array([value ? 0xff : 0]));
}

/** UTCTime (years 1950–2049), as X.509 requires for those years. */
export function utcTime(ms: number): Uint8Array {
  const iso = new Date(ms).toISOString();
  const text =
    iso.slice(2, 4) +
    iso.slice(5, 7) +
    iso.slice(8, 10) +
    iso.slice(11, 13) +
    iso.slice(14, 16) +
    iso.slice(17, 19) +
    'Z';
  return tlv(0x17, new TextEncoder().encode(text));
}

/** A context-specific tag: `[n]` EXPLICIT (constructed) or IMPLICIT primitive. */
export function context(n: number, content: Uint8Array, constructed: boolean): Uint8Array {
  return tlv((constructed ? 0xa0 : 0x80) | n, content);
}

/** PEM armour for DER bytes. */
export function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** GeneralizedTime, which X.509 requires from the year 2050 on. */
export function generalizedTime(ms: number): Uint8Array {
  const text = new Date(ms)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return tlv(0x18, new TextEncoder().encode(text));
}

/** A certificate validity time: UTCTime through 2049, GeneralizedTime after, as RFC 5280 says. */
export function x509Time(ms: number): Uint8Array {
  return new Date(ms).getUTCFullYear() < 2050 ? utcTime(ms) : generalizedTime(ms);
}

/** One DER element found in a byte array: its tag, and where its content starts and ends. */
export interface DerElement {
  tag: number;
  /** Offset of the tag byte. */
  offset: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

/** Reads the element at `offset`; a RangeError when the bytes are not DER. */
export function readElement(bytes: Uint8Array, offset: number): DerElement {
  const tag = bytes[offset];
  let len = bytes[offset + 1];
  if (tag === undefined || len === undefined) throw new RangeError(`DER: no element at offset ${offset}`);
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new RangeError(`DER: unsupported length at offset ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (bytes[start + i] ?? 0);
    start += n;
  }
  const end = start + len;
  if (end > bytes.length) throw new RangeError(`DER: element at offset ${offset} runs past the end`);
  return { tag, offset, start, end };
}

/** The elements inside a constructed element (a SEQUENCE, a SET, an explicit tag). */
export function childrenOf(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = parent.start; at < parent.end;) {
    const el = readElement(bytes, at);
    out.push(el);
    at = el.end;
  }
  return out;
}
