/**
 * S3 gateway benchmark: 64 MiB PUT/GET throughput against a plain file write+fsync / read of the
 * same bytes in the same run, 1 KiB PUT/s and GET/s with 16 concurrent clients, listing keys/s
 * and the process RSS. The client is node:http signed with the gateway's own SigV4 signer
 * (UNSIGNED-PAYLOAD, as SDKs send over TLS), in the same process as the gateway. The listing
 * bucket is filled through the engine for at most 20 s (up to 10,000 keys); its size is in the name.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Agent, request, type IncomingMessage } from 'node:http';
import type { BenchResult } from './result.js';
import { signRequest } from '../src/objectstore/s3/sigv4-signer.js';
import { startTestGateway, type TestGateway } from '../src/objectstore/s3/test-gateway.js';

const MiB = 1024 * 1024;
const BIG = 64 * MiB;
const ROUNDS = 3;
const SMALL_OPS = 3000;
const CONCURRENCY = 16;
const LIST_KEYS = 10_000;
const TIME_LIMIT_MS = 20_000;

interface Reply {
  status: number;
  body: IncomingMessage;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

// node:http rather than fetch: on the test machines fetch uploads about 4x slower than
// http.request, which would measure the client instead of the gateway.
async function call(g: TestGateway, method: string, path: string, body?: Buffer): Promise<Reply> {
  const url = new URL(`${g.url}${path}`);
  const headers = signRequest(
    { method, url: url.href, payloadHash: 'UNSIGNED-PAYLOAD' },
    { accessKeyId: g.key.accessKeyId, secretAccessKey: g.key.secretAccessKey },
  );
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: `${url.pathname}${url.search}`,
        agent,
        headers: { ...headers, 'content-length': String(body?.length ?? 0) },
      },
      resolve,
    );
    req.on('error', reject);
    req.end(body);
  });
  if ((res.statusCode ?? 0) >= 300) {
    throw new Error(`${method} ${path}: ${res.statusCode} ${(await text(res)).slice(0, 300)}`);
  }
  return { status: res.statusCode ?? 0, body: res };
}

async function text(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

async function drain(reply: Reply): Promise<number> {
  let n = 0;
  for await (const chunk of reply.body) n += (chunk as Buffer).length;
  return n;
}

function best(samples: number[]): number {
  return Math.max(...samples);
}

async function concurrent(count: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count && performance.now() - start < TIME_LIMIT_MS) await fn(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return next / ((performance.now() - start) / 1000);
}

/** Runs the S3 benchmark; every loop is bounded in count and in time. */
export async function benchS3(): Promise<BenchResult[]> {
  const g = await startTestGateway();
  const results: BenchResult[] = [];
  try {
    await call(g, 'PUT', '/bench');
    const data = randomBytes(BIG);
    const putRates: number[] = [];
    const getRates: number[] = [];
    const fileWrite: number[] = [];
    const fileRead: number[] = [];
    const peerPath = join(g.dir, 'peer.bin');
    for (let r = 0; r < ROUNDS; r++) {
      let t = performance.now();
      await drain(await call(g, 'PUT', `/bench/big-${r}`, data));
      putRates.push(BIG / MiB / ((performance.now() - t) / 1000));
      t = performance.now();
      const n = await drain(await call(g, 'GET', `/bench/big-${r}`));
      if (n !== BIG) throw new Error(`GET returned ${n} bytes`);
      getRates.push(BIG / MiB / ((performance.now() - t) / 1000));
      t = performance.now();
      const fh = await open(peerPath, 'w');
      await fh.writeFile(data);
      await fh.sync();
      await fh.close();
      fileWrite.push(BIG / MiB / ((performance.now() - t) / 1000));
      t = performance.now();
      await readFile(peerPath);
      fileRead.push(BIG / MiB / ((performance.now() - t) / 1000));
      await rm(peerPath);
    }
    const put = best(putRates);
    const get = best(getRates);
    results.push({
      name: 's3 PUT 64 MiB',
      value: put,
      unit: 'MB/s',
      peer: { name: 'file write+fsync', value: best(fileWrite) },
      ratio: put / best(fileWrite),
      goal: '>= 0.7 of file write (R=1)',
    });
    results.push({
      name: 's3 GET 64 MiB',
      value: get,
      unit: 'MB/s',
      peer: { name: 'file read', value: best(fileRead) },
      ratio: get / best(fileRead),
      goal: '>= 0.7 of file read (R=1)',
    });

    const small = randomBytes(1024);
    const putsPerSec = await concurrent(SMALL_OPS, async (i) => {
      await drain(await call(g, 'PUT', `/bench/small/${i}`, small));
    });
    results.push({
      name: `s3 PUT 1 KiB x${CONCURRENCY} clients`,
      value: putsPerSec,
      unit: 'ops/s',
      goal: '>= 3000 ops/s',
    });
    const written = Math.min(SMALL_OPS, Math.floor(putsPerSec * (TIME_LIMIT_MS / 1000)));
    const getsPerSec = await concurrent(SMALL_OPS, async (i) => {
      await drain(await call(g, 'GET', `/bench/small/${i % Math.max(1, written)}`));
    });
    results.push({
      name: `s3 GET 1 KiB x${CONCURRENCY} clients`,
      value: getsPerSec,
      unit: 'ops/s',
      goal: '>= 10000 ops/s',
    });

    await call(g, 'PUT', '/list-bench');
    let made = 0;
    const fillStart = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (made < LIST_KEYS && performance.now() - fillStart < TIME_LIMIT_MS) {
          const i = made++;
          await g.objectStore.putObject(
            'list-bench',
            `k/${String(i).padStart(6, '0')}`,
            Readable.from([Buffer.from('x')]),
            { size: 1 },
          );
        }
      }),
    );
    let listed = 0;
    let token: string | undefined;
    const t = performance.now();
    for (let page = 0; page < 1000; page++) {
      const q = `list-type=2&max-keys=1000${token === undefined ? '' : `&continuation-token=${encodeURIComponent(token)}`}`;
      const body = await text((await call(g, 'GET', `/list-bench?${q}`)).body);
      listed += (body.match(/<Key>/g) ?? []).length;
      token = /<NextContinuationToken>([^<]+)</.exec(body)?.[1];
      if (token === undefined) break;
    }
    results.push({
      name: `s3 list keys (bucket of ${made} keys)`,
      value: listed / ((performance.now() - t) / 1000),
      unit: 'keys/s',
    });
    results.push({ name: 's3 gateway+client RSS', value: process.memoryUsage().rss / MiB, unit: 'MiB' });
  } finally {
    agent.destroy();
    await g.close();
  }
  return results;
}
