import { createHash, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ObjectStoreError } from './errors.js';

/**
 * The worker's source, run with `eval` so that it survives bundling into one file (a worker file
 * next to the bundle would not exist). Messages: `b` (begin a job over a shared ring), `u` (hash
 * ring bytes [off, off+len), then ack), `d` (digest and forget), `x` (cancel: forget).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'b') {
    jobs.set(m.id, { h: createHash('md5'), ring: new Uint8Array(m.ring) });
  } else if (m.op === 'u') {
    const j = jobs.get(m.id);
    if (j !== undefined) j.h.update(j.ring.subarray(m.off, m.off + m.len));
    parentPort.postMessage({ id: m.id, op: 'a' });
  } else if (m.op === 'd') {
    const j = jobs.get(m.id);
    jobs.delete(m.id);
    parentPort.postMessage({ id: m.id, op: 'r', digest: j === undefined ? undefined : j.h.digest() });
  } else if (m.op === 'x') {
    jobs.delete(m.id);
  }
});
`;

/** Bytes of the shared ring a job copies into (its bound on bytes handed over, not yet hashed). */
export const HASH_RING_BYTES = 2 * 1024 * 1024;

/** Rings kept for reuse: fresh memory costs a page fault per 4 KiB on first touch. */
const SPARE_RINGS = 2;

/** An MD5 computed off the event loop, fed in order. */
export interface HashJob {
  /**
   * Hands bytes to the hashing thread (copied into a shared ring, so the caller may write the
   * chunk at once); resolves when they were hashed, which is the caller's backpressure.
   */
  update(chunk: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /** The MD5 of everything given; the job is finished afterwards. */
  digest(): Promise<Buffer>;
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

interface Waiter {
  resolve: (v: Buffer | undefined) => void;
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
 * Computes the MD5 of large bodies on worker threads so that a PUT's hashing (its slowest step,
 * about 600 MiB/s on one core) overlaps with reading the socket and writing the replicas instead
 * of stalling the event loop. One body's MD5 is sequential and stays on one thread; bodies spread
 * over the threads. Bytes travel through a SharedArrayBuffer ring per job (one memcpy, no
 * serialization). Threads start on first use, are unref'd while idle (an unclosed pool never
 * holds a process open) and end after a while without work (so a store that is never closed
 * leaves none behind); `close()` ends them at once.
 */
export class HashPool {
  private readonly slots: Array<Slot | undefined>;
  private readonly spare: SharedArrayBuffer[] = [];
  private nextId = 1;
  private closed = false;
  private readonly idleMs: number;

  constructor(options: HashPoolOptions = {}) {
    this.idleMs = options.idleMs ?? 5000;
    const n = options.workers ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`HashPool needs at least 1 worker, not ${n}`);
    this.slots = Array.from({ length: n }, () => undefined);
  }

  /** Starts an MD5 on the least busy thread. */
  md5(): HashJob {
    if (this.closed) throw new RangeError('HashPool is closed');
    const slot = this.pick();
    const id = this.nextId++;
    const ring = this.spare.pop() ?? new SharedArrayBuffer(HASH_RING_BYTES);
    const view = new Uint8Array(ring);
    const waiters: Waiter[] = [];
    slot.waiting.set(id, waiters);
    if (slot.jobs++ === 0) {
      slot.worker.ref();
      if (slot.idle !== undefined) clearTimeout(slot.idle);
      slot.idle = undefined;
    }
    slot.worker.postMessage({ id, op: 'b', ring });
    let finished = false;
    let head = 0;
    let used = 0;
    let chain: Promise<void> = Promise.resolve();
    const release = (): void => {
      if (this.spare.length < SPARE_RINGS && !this.closed) this.spare.push(ring);
    };
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (--slot.jobs === 0) this.idle(slot);
    };
    const ask = (msg: object): Promise<Buffer | undefined> =>
      new Promise((resolve, reject) => {
        if (slot.failure !== undefined) return reject(slot.failure);
        waiters.push({ resolve, reject });
        slot.worker.postMessage({ id, ...msg });
      });
    const post = (off: number, len: number): Promise<void> =>
      ask({ op: 'u', off, len }).then(() => void (used -= len));
    let lastPiece: Promise<void> = Promise.resolve();
    // Copies chunks into the ring as contiguous segments, one message each (waiting for room
    // only when the ring is full); hands back the ack of the last segment, wrapped so that
    // awaiting the copy does not wait for the hashing.
    const feed = async (chunks: readonly Uint8Array[]): Promise<{ acked: Promise<void> }> => {
      let segStart = head;
      let segLen = 0;
      const flush = (): void => {
        if (segLen > 0) lastPiece = post(segStart, segLen);
        segLen = 0;
        segStart = head;
      };
      for (const chunk of chunks) {
        let rest = chunk;
        while (rest.length > 0) {
          if (used === HASH_RING_BYTES) {
            flush();
            await lastPiece;
            continue;
          }
          const take = Math.min(rest.length, HASH_RING_BYTES - used, HASH_RING_BYTES - head);
          view.set(rest.subarray(0, take), head);
          head = (head + take) % HASH_RING_BYTES;
          used += take;
          segLen += take;
          rest = rest.subarray(take);
          if (head === 0) flush();
        }
      }
      flush();
      return { acked: lastPiece };
    };
    return {
      update: (chunk) => {
        if (finished) return Promise.reject(new RangeError('HashJob is finished'));
        // Copies happen in call order; the worker hashes while the next chunk is copied.
        const copied = chain.then(() => feed(chunk instanceof Uint8Array ? [chunk] : chunk));
        chain = copied.then(
          () => undefined,
          () => undefined,
        );
        return copied.then((c) => c.acked);
      },
      digest: async () => {
        if (finished) throw new RangeError('HashJob is finished');
        try {
          await chain;
          const got = await ask({ op: 'd' });
          if (got === undefined) throw hashFailed('no digest came back');
          release();
          return got;
        } finally {
          slot.waiting.delete(id);
          finish();
        }
      },
      cancel: () => {
        if (finished) return;
        finish();
        slot.worker.postMessage({ id, op: 'x' });
        // A cancelled job's ring is not reused: a piece in flight may still be read from it.
        void chain.then(() => lastPiece.catch(() => undefined)).then(() => slot.waiting.delete(id));
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
    this.spare.length = 0;
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
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    const slot: Slot = { worker, jobs: 0, waiting: new Map() };
    this.slots[index] = slot;
    worker.on('message', (m: { id: number; op: 'a' | 'r'; digest?: Uint8Array }) => {
      const w = slot.waiting.get(m.id)?.shift();
      w?.resolve(m.digest === undefined ? undefined : Buffer.from(m.digest));
    });
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

function hashFailed(why: string): ObjectStoreError {
  return new ObjectStoreError('InternalError', `Computing an object's MD5 failed: ${why}`);
}

/** The same interface over an in-thread MD5, for small bodies where a thread hop costs more. */
export function inlineMd5(): HashJob {
  const h: Hash = createHash('md5');
  return {
    update: (chunk) => {
      for (const c of chunk instanceof Uint8Array ? [chunk] : chunk) h.update(c);
      return Promise.resolve();
    },
    digest: () => Promise.resolve(h.digest()),
    cancel: () => undefined,
  };
}
