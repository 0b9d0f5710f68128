/**
 * The DNS wire format (RFC 1035, SRV of RFC 2782, EDNS0's OPT of RFC 6891), as much of it as a
 * cluster DNS server needs: parse a query, encode an answer. Names in answers are written
 * uncompressed (valid, and the answers are small); names read may use compression pointers.
 * Pure: works on Uint8Array.
 */

/** Record types the server answers or passes through by number. */
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;
/** Response codes. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const CLASS_IN = 1;

/** One question. `name` is as sent (case kept), without the trailing dot. */
export interface Question {
  name: string;
  type: number;
  class: number;
}

/** A parsed query. */
export interface Query {
  id: number;
  opcode: number;
  /** Recursion desired. */
  rd: boolean;
  questions: Question[];
  /** The requester's UDP payload size from EDNS0's OPT, when it sent one. */
  ednsUdpSize?: number;
}

/** An answer record. */
export type ResourceRecord =
  | { name: string; ttl: number; type: 'A'; address: string }
  | { name: string; ttl: number; type: 'CNAME'; target: string }
  | { name: string; ttl: number; type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | {
      name: string;
      ttl: number;
      type: 'SOA';
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    };

/** An answer to encode. */
export interface Response {
  id: number;
  rd: boolean;
  /** Authoritative (names of the cluster zone). */
  aa: boolean;
  /** Recursion available. */
  ra: boolean;
  rcode: number;
  opcode?: number;
  questions: Question[];
  answers: ResourceRecord[];
  authority?: ResourceRecord[];
  additional?: ResourceRecord[];
  /** Add an OPT record with this UDP size (the query had one). */
  ednsUdpSize?: number;
}

/** A message that cannot be parsed. */
export class DnsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnsFormatError';
  }
}

function readName(buf: Uint8Array, start: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = start;
  let end = -1;
  for (let jumps = 0; ;) {
    if (pos >= buf.length) throw new DnsFormatError('name runs past the message');
    const len = buf[pos] as number;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length || ++jumps > 32) throw new DnsFormatError('bad compression pointer');
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | (buf[pos + 1] as number);
      continue;
    }
    if (len > 63 || pos + 1 + len > buf.length) throw new DnsFormatError('bad label');
    labels.push(String.fromCharCode(...buf.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  const name = labels.join('.');
  if (name.length > 253) throw new DnsFormatError('name too long');
  return { name, end };
}

/** Parses a query; a DnsFormatError when it is malformed (answer FORMERR if the id was read). */
export function parseQuery(buf: Uint8Array): Query {
  if (buf.length < 12) throw new DnsFormatError('shorter than a header');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const id = view.getUint16(0);
  const flags = view.getUint16(2);
  if (flags & 0x8000) throw new DnsFormatError('not a query');
  const qd = view.getUint16(4);
  const an = view.getUint16(6);
  const ns = view.getUint16(8);
  const ar = view.getUint16(10);
  let pos = 12;
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    const { name, end } = readName(buf, pos);
    if (end + 4 > buf.length) throw new DnsFormatError('question runs past the message');
    questions.push({ name, type: view.getUint16(end), class: view.getUint16(end + 2) });
    pos = end + 4;
  }
  const query: Query = { id, opcode: (flags >> 11) & 0xf, rd: (flags & 0x0100) !== 0, questions };
  // Skip answer and authority records, look for OPT among the additional ones.
  for (let i = 0; i < an + ns + ar; i++) {
    const { end } = readName(buf, pos);
    if (end + 10 > buf.length) throw new DnsFormatError('record runs past the message');
    const type = view.getUint16(end);
    const rdlen = view.getUint16(end + 8);
    if (i >= an + ns && type === TYPE.OPT) query.ednsUdpSize = Math.max(512, view.getUint16(end + 2));
    pos = end + 10 + rdlen;
    if (pos > buf.length) throw new DnsFormatError('record data runs past the message');
  }
  return query;
}

/** The id of a message (0 when too short), for a FORMERR answer. */
export function messageId(buf: Uint8Array): number {
  return buf.length >= 2 ? ((buf[0] as number) << 8) | (buf[1] as number) : 0;
}

class Writer {
  private buf = new Uint8Array(512);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
  }
  u16(v: number): void {
    this.u8(v >> 8);
    this.u8(v);
  }
  u32(v: number): void {
    this.u16(Math.floor(v / 65536));
    this.u16(v % 65536);
  }
  name(name: string): void {
    for (const label of name.split('.').filter((l) => l !== '')) {
      const bytes = [...label].map((c) => c.charCodeAt(0) & 0xff).slice(0, 63);
      this.u8(bytes.length);
      for (const b of bytes) this.u8(b);
    }
    this.u8(0);
  }
  patch16(at: number, v: number): void {
    this.buf[at] = (v >> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  const type = TYPE[rr.type];
  w.name(rr.name);
  w.u16(type);
  w.u16(CLASS_IN);
  w.u32(rr.ttl);
  const lenAt = w.length;
  w.u16(0);
  const start = w.length;
  switch (rr.type) {
    case 'A':
      for (const part of rr.address.split('.')) w.u8(Number(part));
      break;
    case 'CNAME':
      w.name(rr.target);
      break;
    case 'SRV':
      w.u16(rr.priority);
      w.u16(rr.weight);
      w.u16(rr.port);
      w.name(rr.target);
      break;
    case 'SOA':
      w.name(rr.mname);
      w.name(rr.rname);
      for (const v of [rr.serial, rr.refresh, rr.retry, rr.expire, rr.minimum]) w.u32(v);
      break;
  }
  w.patch16(lenAt, w.length - start);
}

/**
 * Encodes an answer. With `maxSize` (UDP), records that do not fit are left out from the end
 * of the additional, then authority, then answer sections, and a cut answer section sets TC so
 * the client retries over TCP.
 */
export function encodeResponse(res: Response, maxSize = 65535): Uint8Array {
  const sections = {
    answers: [...res.answers],
    authority: [...(res.authority ?? [])],
    additional: [...(res.additional ?? [])],
  };
  for (;;) {
    const w = new Writer();
    const truncated = sections.answers.length < res.answers.length;
    w.u16(res.id);
    w.u16(
      0x8000 |
        ((res.opcode ?? 0) << 11) |
        (res.aa ? 0x0400 : 0) |
        (truncated ? 0x0200 : 0) |
        (res.rd ? 0x0100 : 0) |
        (res.ra ? 0x0080 : 0) |
        (res.rcode & 0xf),
    );
    w.u16(res.questions.length);
    w.u16(sections.answers.length);
    w.u16(sections.authority.length);
    w.u16(sections.additional.length + (res.ednsUdpSize === undefined ? 0 : 1));
    for (const q of res.questions) {
      w.name(q.name);
      w.u16(q.type);
      w.u16(q.class);
    }
    for (const rr of sections.answers) writeRecord(w, rr);
    for (const rr of sections.authority) writeRecord(w, rr);
    for (const rr of sections.additional) writeRecord(w, rr);
    if (res.ednsUdpSize !== undefined) {
      w.u8(0); // root
      w.u16(TYPE.OPT);
      w.u16(res.ednsUdpSize);
      w.u32(0);
      w.u16(0);
    }
    if (w.length <= maxSize) return w.bytes();
    if (sections.additional.length > 0) sections.additional.pop();
    else if (sections.authority.length > 0) sections.authority.pop();
    else if (sections.answers.length > 0) sections.answers.pop();
    else return w.bytes();
  }
}

/** A query message (for tests and the forwarder's health). */
export function encodeQuery(
  id: number,
  name: string,
  type: number,
  options: { rd?: boolean } = {},
): Uint8Array {
  const w = new Writer();
  w.u16(id);
  w.u16(options.rd === false ? 0 : 0x0100);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  w.name(name);
  w.u16(type);
  w.u16(CLASS_IN);
  return w.bytes();
}
