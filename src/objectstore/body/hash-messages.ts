/**
 * The messages between a HashPool and its hashing threads (`hash-worker.ts`). Every request
 * names its job; a thread answers a job's requests in order.
 */
export type HashRequest =
  /** Begin a job. */
  | { id: number; op: 'b' }
  /** Hash the first `len` bytes of the moved buffer `buf` into the job, then send it back. */
  | { id: number; op: 'u'; buf: ArrayBuffer; len: number }
  /** Read `len` bytes of descriptor `fd` at `pos` into `buf`, add them to the CRC, send it back. */
  | { id: number; op: 'r'; fd: number; buf: ArrayBuffer; len: number; pos: number }
  /** Send the job's digests and forget it. */
  | { id: number; op: 'd' }
  /** Forget the job (cancelled). */
  | { id: number; op: 'x' };

/** A reply from a hashing thread: a buffer coming back (`a`, with the count read) or the digests (`r`). */
export interface HashReply {
  id: number;
  op: 'a' | 'r';
  buf?: ArrayBuffer;
  /** Bytes read (`r` requests). */
  n?: number;
  /** Why a read failed. */
  error?: string;
  digest?: Uint8Array;
  /** The CRC-32 as an unsigned integer; undefined on a Node without zlib.crc32. */
  crc?: number;
}
