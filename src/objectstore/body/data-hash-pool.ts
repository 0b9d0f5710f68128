import { createHash, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BufferPool } from './buffer-pool.js';
import { BodyCrc32 } from './data-check.js';
import { ObjectStoreError } from '../errors.js';
import type { HashReply, HashRequest } from './hash-messages.js';

/** Size of the buffers bytes travel to a hashing thread in (moved, not shared: no copy back). */
export const HASH_BUFFER_BYTES = 512 * 1024;

/** Buffers one job may have in flight: its bound on bytes handed over but not yet hashed. */
const JOB_BUFFERS = 3;

/** Buffers kept for reuse between jobs (fresh memory costs a page fault per 4 KiB on first touch). */
const SPARE_BUFFERS = 8;

/** What a job computed: the body's MD5 and its CRC-32 (hex; undefined on a Node without zlib.crc32). */
export interface BodyDigests {
  md5: Buffer;
  crc32: string | undefined;
}

/** An MD5 and CRC-32 computed off the event loop, fed in order. */
export interface HashJob {
  /**
   * Hands bytes to the hashing thread (copied, so the caller may write the chunk at once);
   * resolves when they were hashed, which is the caller's backpressure.
   */
  update(chunk: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /** The digests of everything given; the job is finished afterwards. */
  digest(): Promise<BodyDigests>;
  /** Drops the job (after a failed write); updates in flight still settle. */
  cancel(): void;
}

/** Options of a HashPool. */
export interface HashPoolOptions {
  /** Hashing threads; default max(1, min(4, cores - 1)), leaving a core to the event loop. */
  workers?: number;
  /** A thread without jobs for this long ends; default 5 s. */
  idleMs?: number;
}

/** Reads pieces of a file on a hashing thread, keeping the CRC-32 of what it read. */
export interface PieceReader {
  /**
   * Reads up to `length` bytes at `position` into `buf`, which is moved to the thread and back:
   * resolves with the buffer and the count (0 at the end of the file).
   */
  read(buf: ArrayBuffer, length: number, position: number): Promise<{ buf: ArrayBuffer; n: number }>;
  /** The hex CRC-32 of every byte read, in order (undefined without zlib.crc32); ends the job. */
  crc32(): Promise<string | undefined>;
  /** Ends the job; resolves once no read is in flight any more (the descriptor may then be closed). */
  close(): Promise<void>;
}

/** A request without its job id, which `ask` adds. */
type JobRequest = HashRequest extends infer R ? (R extends HashRequest ? Omit<R, 'id'> : never) : never;

interface Waiter {
  resolve: (v: HashReply) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  jobs: number;
  /** Per job id, the replies it waits for, in order (a worker answers in order). */
  waiting: Map<number, Waiter[]>;
  failure?: Error;
  /** Ends the thread after `idleMs` without jobs. */
  idle?: NodeJS.Timeout | undefined;
}

/**
 * Computes the MD5 (and the CRC-32 of the data file footer) of large bodies on worker threads so
 * that a PUT's hashing (its slowest step, about 600 MiB/s on one core) overlaps with reading the
 * socket and writing the replicas instead of stalling the event loop. One body's hashes are
 * sequential and stay on one thread; bodies spread over the threads. Bytes are copied once into
 * plain buffers that are moved to the thread and back (a transfer, no serialization; a copy into
 * shared memory would run at a fraction of memcpy's speed). Threads start on first use, are unref'd while idle (an unclosed pool never
 * holds a process open) and end after a while without work (so a store that is never closed
 * leaves none behind); `close()` ends them at once.
 */
export class HashPool {
  private readonly slots: Array<Slot | undefined>;
  private readonly spare = new BufferPool(HASH_BUFFER_BYTES, SPARE_BUFFERS);
  private nextId = 1;
  private closed = false;
  private readonly idleMs: number;

  constructor(options: HashPoolOptions = {}) {
    this.idleMs = options.idleMs ?? 5000;
    const n = options.workers ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`HashPool needs at least 1 worker, not ${n}`);
    this.slots = Array.from({ length: n }, () => undefined);
  }

  /** Starts an MD5 and CRC-32 on the least busy thread. */
  md5(): HashJob {
    const job = this.begin();
    let chain: Promise<void> = Promise.resolve();
    // This job's buffers: free ones, how many it holds (free or at the thread), the one filling.
    const free: ArrayBuffer[] = [];
    let held = 0;
    let filling: { buf: ArrayBuffer; view: Uint8Array; len: number } | undefined;
    // The buffers at the thread, settled or not (never rejecting), oldest first (the thread
    // answers in order); the first failure of any of them.
    const atThread = new Set<Promise<void>>();
    let failure: Error | undefined;
    let lastPiece: Promise<void> = Promise.resolve();
    const giveBack = (buf: ArrayBuffer | undefined): void => {
      if (buf === undefined) return;
      if (!job.ended()) free.push(buf);
      else if (!this.closed) this.spare.give(buf);
    };
    const send = (): void => {
      if (filling === undefined || filling.len === 0) return;
      const { buf, len } = filling;
      filling = undefined;
      lastPiece = job.ask({ op: 'u', buf, len }, [buf]).then((reply) => giveBack(reply.buf));
      const settled: Promise<void> = lastPiece.then(
        () => void atThread.delete(settled),
        (err: unknown) => {
          atThread.delete(settled);
          failure ??= err as Error;
        },
      );
      atThread.add(settled);
    };
    const take = async (): Promise<void> => {
      while (free.length === 0 && held === JOB_BUFFERS) {
        if (failure !== undefined) throw failure;
        const oldest = atThread.values().next().value;
        if (oldest === undefined || job.ended()) throw new RangeError('HashJob is finished');
        await oldest;
      }
      let buf = free.pop();
      if (buf === undefined) {
        buf = this.spare.take();
        held++;
      }
      filling = { buf, view: new Uint8Array(buf), len: 0 };
    };
    // Copies chunks into buffers, sending each full one (and the last, part-filled, one) to the
    // thread; hands back the ack of the last piece, wrapped so that awaiting the copy does not
    // wait for the hashing.
    const feed = async (chunks: readonly Uint8Array[]): Promise<{ acked: Promise<void> }> => {
      for (const chunk of chunks) {
        let off = 0;
        while (off < chunk.length) {
          if (filling === undefined) await take();
          const f = filling!;
          const n = Math.min(chunk.length - off, HASH_BUFFER_BYTES - f.len);
          f.view.set(chunk.subarray(off, off + n), f.len);
          f.len += n;
          off += n;
          if (f.len === HASH_BUFFER_BYTES) send();
        }
      }
      send();
      return { acked: lastPiece };
    };
    const release = (): void => {
      for (const buf of free.splice(0)) giveBack(buf);
    };
    return {
      update: (chunk) => {
        if (job.ended()) return Promise.reject(new RangeError('HashJob is finished'));
        // Copies happen in call order; the thread hashes while the next chunk is copied.
        const copied = chain.then(() => feed(chunk instanceof Uint8Array ? [chunk] : chunk));
        chain = copied.then(
          () => undefined,
          () => undefined,
        );
        return copied.then((c) => c.acked);
      },
      digest: async () => {
        if (job.ended()) throw new RangeError('HashJob is finished');
        try {
          await chain;
          const got = await job.ask({ op: 'd' });
          if (got.digest === undefined) throw hashFailed('no digest came back');
          return {
            md5: Buffer.from(got.digest),
            crc32: crcHex(got.crc),
          };
        } finally {
          job.end();
          release();
        }
      },
      cancel: () => {
        if (job.ended()) return;
        // Buffers at the thread still come back (to the spare list) before the job is forgotten.
        job.end(chain.then(() => lastPiece.catch(() => undefined)));
        release();
      },
    };
  }

  /**
   * Starts reading a file (by descriptor, which must stay open until every read settled) on the
   * least busy thread, which also keeps the CRC-32 of the bytes: a GET then leaves the event loop
   * only its socket writes.
   */
  reader(fd: number): PieceReader {
    const job = this.begin();
    let last: Promise<unknown> = Promise.resolve();
    return {
      read: (buf, length, position) => {
        if (job.ended()) return Promise.reject(new RangeError('PieceReader is closed'));
        const got = job.ask({ op: 'r', fd, buf, len: length, pos: position }, [buf]).then((reply) => {
          if (reply.error !== undefined || reply.buf === undefined)
            throw new Error(`reading a data file failed: ${reply.error ?? 'no buffer came back'}`);
          return { buf: reply.buf, n: reply.n ?? 0 };
        });
        last = got.catch(() => undefined);
        return got;
      },
      crc32: async () => {
        if (job.ended()) throw new RangeError('PieceReader is closed');
        try {
          return crcHex((await job.ask({ op: 'd' })).crc);
        } finally {
          job.end();
        }
      },
      close: async () => {
        if (!job.ended()) job.end(last);
        await last;
      },
    };
  }

  /**
   * Registers a job on the least busy thread. `ask` sends it a message and resolves with the
   * reply; `end` finishes it once `settled` (replies still due) resolved, and tells the thread.
   */
  private begin(): {
    ask: (msg: JobRequest, transfer?: ArrayBuffer[]) => Promise<HashReply>;
    ended: () => boolean;
    end: (settled?: Promise<unknown>) => void;
  } {
    if (this.closed) throw new RangeError('HashPool is closed');
    const slot = this.pick();
    const id = this.nextId++;
    const waiters: Waiter[] = [];
    slot.waiting.set(id, waiters);
    if (slot.jobs++ === 0) {
      slot.worker.ref();
      if (slot.idle !== undefined) clearTimeout(slot.idle);
      slot.idle = undefined;
    }
    post(slot, { id, op: 'b' });
    let ended = false;
    return {
      ask: (msg, transfer = []) =>
        new Promise((resolve, reject) => {
          if (slot.failure !== undefined) return reject(slot.failure);
          waiters.push({ resolve, reject });
          post(slot, { id, ...msg }, transfer);
        }),
      ended: () => ended,
      end: (settled = Promise.resolve()) => {
        if (ended) return;
        ended = true;
        if (--slot.jobs === 0) this.idle(slot);
        post(slot, { id, op: 'x' });
        void settled.then(() => slot.waiting.delete(id));
      },
    };
  }

  /** How many hashing threads are running. */
  threads(): number {
    return this.slots.filter((s) => s !== undefined).length;
  }

  /** Ends the threads; jobs still running fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.spare.clear();
    const running = this.slots.filter((s): s is Slot => s !== undefined);
    this.slots.fill(undefined);
    for (const s of running) if (s.idle !== undefined) clearTimeout(s.idle);
    await Promise.all(running.map((s) => s.worker.terminate()));
  }

  private pick(): Slot {
    let best: Slot | undefined;
    let free = -1;
    this.slots.forEach((s, i) => {
      if (s === undefined) {
        if (free < 0) free = i;
      } else if (best === undefined || s.jobs < best.jobs) best = s;
    });
    // A new thread only when every running one is busy.
    if (best !== undefined && (best.jobs === 0 || free < 0)) return best;
    return this.spawn(Math.max(0, free));
  }

  private idle(slot: Slot): void {
    slot.worker.unref();
    slot.idle = setTimeout(() => {
      if (slot.jobs > 0) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = undefined;
      void slot.worker.terminate();
    }, this.idleMs);
    slot.idle.unref();
  }

  private spawn(index: number): Slot {
    const worker = new Worker(new URL('./hash-worker.js', import.meta.url));
    worker.unref();
    const slot: Slot = { worker, jobs: 0, waiting: new Map() };
    this.slots[index] = slot;
    worker.on('message', (m: HashReply) => slot.waiting.get(m.id)?.shift()?.resolve(m));
    const fail = (err: Error): void => {
      slot.failure ??= err;
      if (this.slots[index] === slot) this.slots[index] = undefined;
      for (const list of slot.waiting.values()) for (const w of list.splice(0)) w.reject(err);
    };
    worker.on('error', (err) => fail(hashFailed(err.message)));
    worker.on('exit', (code) => fail(hashFailed(`the hashing thread exited with ${code}`)));
    return slot;
  }
}

/** Sends a request to a slot's thread (moving the buffers in `transfer`). */
function post(slot: Slot, msg: HashRequest, transfer: ArrayBuffer[] = []): void {
  slot.worker.postMessage(msg, transfer);
}

function crcHex(crc: number | undefined): string | undefined {
  return crc === undefined ? undefined : crc.toString(16).padStart(8, '0');
}

function hashFailed(why: string): ObjectStoreError {
  return new ObjectStoreError('InternalError', `Computing an object's MD5 failed: ${why}`);
}

/** The same interface computed in this thread, for small bodies where a thread hop costs more. */
export function inlineMd5(): HashJob {
  const h: Hash = createHash('md5');
  const crc = new BodyCrc32();
  return {
    update: (chunk) => {
      for (const c of chunk instanceof Uint8Array ? [chunk] : chunk) {
        h.update(c);
        crc.update(c);
      }
      return Promise.resolve();
    },
    digest: () => Promise.resolve({ md5: h.digest(), crc32: crc.hex() }),
    cancel: () => undefined,
  };
}
