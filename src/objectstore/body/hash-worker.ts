/**
 * A hashing thread of the HashPool (`data-hash-pool.ts`), loaded by URL beside it: keeps the
 * MD5 and CRC-32 of each job's bytes, and reads file pieces for GETs. zlib's crc32 is missing
 * before Node 20.15; the CRC is then left out.
 */
import { createHash, type Hash } from 'node:crypto';
import { readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import type { HashReply, HashRequest } from './hash-messages.js';

const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

interface Job {
  md5: Hash;
  crc: number;
}

const jobs = new Map<number, Job>();
const port = parentPort;
if (port === null) throw new Error('hash-worker.ts runs only as a worker thread');

function reply(msg: HashReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function readPiece(m: Extract<HashRequest, { op: 'r' }>): void {
  const job = jobs.get(m.id);
  const bytes = new Uint8Array(m.buf, 0, m.len);
  let n = 0;
  let error: string | undefined;
  try {
    while (n < m.len) {
      const got = readSync(m.fd, bytes, n, m.len - n, m.pos + n);
      if (got === 0) break;
      n += got;
    }
    if (job !== undefined && crc32 !== undefined) job.crc = crc32(bytes.subarray(0, n), job.crc);
  } catch (err) {
    error = String((err as Error | undefined)?.message);
  }
  reply(
    error === undefined ? { id: m.id, op: 'a', buf: m.buf, n } : { id: m.id, op: 'a', buf: m.buf, n, error },
    [m.buf],
  );
}

function handle(m: HashRequest): void {
  switch (m.op) {
    case 'r':
      return readPiece(m);
    case 'b':
      jobs.set(m.id, { md5: createHash('md5'), crc: 0 });
      return;
    case 'u': {
      const job = jobs.get(m.id);
      if (job !== undefined) {
        const bytes = new Uint8Array(m.buf, 0, m.len);
        job.md5.update(bytes);
        if (crc32 !== undefined) job.crc = crc32(bytes, job.crc);
      }
      return reply({ id: m.id, op: 'a', buf: m.buf }, [m.buf]);
    }
    case 'd': {
      const job = jobs.get(m.id);
      jobs.delete(m.id);
      const out: HashReply = { id: m.id, op: 'r' };
      if (job !== undefined) {
        out.digest = job.md5.digest();
        if (crc32 !== undefined) out.crc = job.crc >>> 0;
      }
      return reply(out);
    }
    case 'x':
      jobs.delete(m.id);
  }
}

port.on('message', handle);
