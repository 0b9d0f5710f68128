/**
 * S3 small-object benchmark (large objects and the mixed load: bench/s3-throughput.ts): 1 KiB PUT/s (durable: acknowledged after the index group commit's
 * fsync) and GET/s with 16 concurrent clients, listing keys/s, and the gateway's RSS. The
 * gateway runs in a child process (`bench/s3-gateway.ts`: one device, R=1) so that the client's
 * CPU and memory are not counted as its own. The small-object clients are lean keep-alive HTTP/1.1
 * connections (`s3-small-client.ts`; node:http costs the shared cores as much CPU per request as
 * the gateway), the other requests node:http; all are signed with the gateway's SigV4 signer
 * (UNSIGNED-PAYLOAD, as SDKs send over TLS): every request carries its own signature, and the
 * signing key is derived once per day, as SDKs cache it. The listing bucket is filled with up to
 * 1,000,000 one-byte keys through the engine's bulk inline loader (not over HTTP: the figure is
 * listing speed) for at most 60 s; the size reached is in the figure's name. It is then listed
 * over HTTP with ListObjectsV2 pages of max-keys=1000. Every loop is bounded in count and time.
 * `STRATUS_BENCH_S3_ONLY=small|list` runs one section; `STRATUS_BENCH_S3_PROFILE=DIR` writes
 * the gateway child's CPU profile (`--cpu-prof`) into DIR.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request, type IncomingMessage } from 'node:http';
import type { BenchResult } from './result.js';
import { SmallHttpConnection } from './s3-small-client.js';
import { RequestSigner } from '../src/objectstore/s3/sigv4-signer.js';
import { STRATUS_NODE_ENV, STRATUS_NODE_FLAGS } from './stratus-node.js';

const MiB = 1024 * 1024;
const SMALL_OPS = 30_000;
/** Measured GET rounds of SMALL_OPS, after a warm-up round. */
const GET_ROUNDS = 3;
const CONCURRENCY = 16;
const LIST_KEYS = 1_000_000;
const TIME_LIMIT_MS = 20_000;
const FILL_LIMIT_MS = 60_000;
const LIST_LIMIT_MS = 60_000;

/** The gateway child as the client sees it. */
export interface TestGateway {
  url: string;
  dir: string;
  key: { accessKeyId: string; secretAccessKey: string };
  /** Signs every request for real; derives the signing key once per day, as SDKs do. */
  signer: RequestSigner;
  /** The URL's host and port, parsed once. */
  hostname: string;
  port: string;
  /** The child's process id (its CPU time is in /proc). */
  pid: number;
  /** Sends one IPC request and waits (bounded) for its reply. */
  ask<T>(msg: unknown, timeoutMs: number): Promise<T>;
  close(): Promise<void>;
}

/** Forks bench/s3-gateway.js and reads its URL and key from its first stdout line (bounded). */
export async function startChildGateway(): Promise<TestGateway> {
  const child: ChildProcess = fork(new URL('./s3-gateway.js', import.meta.url), [], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    // STRATUS_BENCH_S3_PROFILE=DIR writes the gateway's CPU profile there (node --cpu-prof).
    execArgv: [
      ...STRATUS_NODE_FLAGS,
      ...(process.env.STRATUS_BENCH_S3_PROFILE
        ? ['--cpu-prof', '--cpu-prof-dir', process.env.STRATUS_BENCH_S3_PROFILE]
        : []),
    ],
    env: { ...process.env, ...STRATUS_NODE_ENV },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the gateway child did not start within 30 s')), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`the gateway child exited with ${code}`)));
  }).catch(async (err: unknown) => {
    await kill();
    throw err;
  });
  const info = JSON.parse(first) as {
    url: string;
    dir: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
  return {
    url: info.url,
    dir: info.dir,
    key: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    signer: new RequestSigner({ accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey }),
    hostname: new URL(info.url).hostname,
    port: new URL(info.url).port,
    pid: child.pid ?? 0,
    ask: <T>(msg: unknown, timeoutMs: number) =>
      new Promise<T>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the gateway child did not answer in time')),
          timeoutMs,
        );
        child.once('message', (reply: T & { error?: string }) => {
          clearTimeout(timer);
          if (reply.error !== undefined) reject(new Error(reply.error));
          else resolve(reply);
        });
        child.send(msg as object);
      }),
    close: async () => {
      lines.close();
      if (child.connected) child.send({ op: 'close' });
      const done = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref()),
      ]);
      if (!done) await kill();
    },
  };
}

/** The gateway's CPU time so far (user + system) and its system (kernel) part, in ms. */
interface CpuSample {
  cpuMs: number;
  sysMs: number;
}

interface Reply {
  status: number;
  body: IncomingMessage;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

// node:http rather than fetch: on the test machines fetch uploads about 4x slower than
// http.request, which would measure the client instead of the gateway.
export async function call(g: TestGateway, method: string, path: string, body?: Buffer): Promise<Reply> {
  const headers = g.signer.sign({ method, url: `${g.url}${path}`, payloadHash: 'UNSIGNED-PAYLOAD' });
  headers['content-length'] = String(body?.length ?? 0);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({ host: g.hostname, port: g.port, method, path, agent, headers }, resolve);
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

/** Runs `fn` for `count` items on CONCURRENCY workers (bounded in time); returns items per second. */
export async function concurrent(
  count: number,
  fn: (i: number, worker: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  const worker = async (_: unknown, w: number): Promise<void> => {
    while (next < count && performance.now() - start < TIME_LIMIT_MS) await fn(next++, w);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return next / ((performance.now() - start) / 1000);
}

/** Runs the S3 benchmark; every loop is bounded in count and in time. */
export async function benchS3(): Promise<BenchResult[]> {
  const g = await startChildGateway();
  const results: BenchResult[] = [];
  let gatewayRss = 0;
  const sampleRss = async (): Promise<CpuSample> => {
    const r = await g.ask<{ rss: number; cpuMs: number; sysMs: number }>({ op: 'rss' }, 10_000);
    gatewayRss = Math.max(gatewayRss, r.rss);
    return { cpuMs: r.cpuMs, sysMs: r.sysMs };
  };
  try {
    await call(g, 'PUT', '/bench');
    const only = process.env.STRATUS_BENCH_S3_ONLY;
    if (only === undefined || only === 'small') await smallObjects(g, results, sampleRss);
    if (only === undefined || only === 'list') await listing(g, results);
    await sampleRss();
    results.push({
      name: 's3 gateway RSS (child process, peak sampled)',
      value: gatewayRss / MiB,
      unit: 'MiB',
    });
    results.push({ name: 's3 bench client RSS', value: process.memoryUsage().rss / MiB, unit: 'MiB' });
  } finally {
    agent.destroy();
    await g.close();
  }
  return results;
}

/**
 * The peer of the small-object figures, measured in the same run: 16 concurrent writers each
 * creating a 1 KiB file, fdatasync, close (what one durable data file per object costs), then
 * 16 readers reading those files back whole. Bounded in count and time; the folder is removed.
 */
async function filePeer(): Promise<{ writes: number; reads: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-s3-peer-'));
  try {
    const small = randomBytes(1024);
    let made = 0;
    const writes = await concurrent(SMALL_OPS, async (i) => {
      const fh = await open(join(dir, String(i)), 'w');
      await fh.writeFile(small);
      await fh.datasync();
      await fh.close();
      made++;
    });
    const reads = await concurrent(SMALL_OPS, async (i) => {
      await readFile(join(dir, String(i % Math.max(1, made))));
    });
    return { writes, reads };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * 1 KiB PUTs then GETs with 16 clients. Besides ops/s (wall clock, which on a shared machine
 * depends on the neighbours) it reports ops per CPU-second of the gateway process, which does not.
 */
async function smallObjects(
  g: TestGateway,
  results: BenchResult[],
  sampleRss: () => Promise<CpuSample>,
): Promise<void> {
  const small = randomBytes(1024);
  const peer = await filePeer();
  // One lean keep-alive connection per client (s3-small-client.ts): node:http would spend as
  // much CPU per request as the gateway, on the cores the gateway needs.
  const conns = Array.from(
    { length: CONCURRENCY },
    () => new SmallHttpConnection(g.hostname, Number(g.port)),
  );
  const send = async (w: number, method: string, path: string, body?: Buffer): Promise<Buffer> => {
    const headers = g.signer.sign({ method, url: `${g.url}${path}`, payloadHash: 'UNSIGNED-PAYLOAD' });
    const reply = await conns[w]!.request(method, path, headers, body);
    if (reply.status !== 200)
      throw new Error(`${method} ${path}: ${reply.status} ${reply.body.toString().slice(0, 300)}`);
    return reply.body;
  };
  try {
    await smallPutGet(results, sampleRss, peer, small, send);
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

/** A phase's ops per gateway CPU-second and the kernel's share of that CPU, from samples around it. */
function gatewayCpu(op: string, ops: number, before: CpuSample, after: CpuSample): BenchResult[] {
  const used = after.cpuMs - before.cpuMs;
  return [
    { name: `s3 ${op} 1 KiB per gateway CPU-second`, value: ops / (used / 1000), unit: 'ops/s' },
    {
      name: `s3 ${op} 1 KiB gateway CPU in the kernel`,
      value: (100 * (after.sysMs - before.sysMs)) / used,
      unit: '%',
    },
  ];
}

async function smallPutGet(
  results: BenchResult[],
  sampleRss: () => Promise<CpuSample>,
  peer: { writes: number; reads: number },
  small: Buffer,
  send: (w: number, method: string, path: string, body?: Buffer) => Promise<Buffer>,
): Promise<void> {
  const cpu = await sampleRss();
  let ops = 0;
  const putsPerSec = await concurrent(SMALL_OPS, async (i, w) => {
    await send(w, 'PUT', `/bench/small/${i}`, small);
    ops++;
  });
  results.push(
    {
      name: `s3 PUT 1 KiB x${CONCURRENCY} clients (durable, R=1)`,
      value: putsPerSec,
      unit: 'ops/s',
      peer: { name: 'file create+fdatasync', value: peer.writes },
      ratio: putsPerSec / peer.writes,
      goal: '>= 3000 ops/s',
    },
    ...gatewayCpu('PUT', ops, cpu, await sampleRss()),
  );
  const written = ops;
  // GETs as for the large objects: a warm-up round that is not counted (the JIT compiles the
  // GET path), then the best of GET_ROUNDS rounds, since the VM's slow spells last seconds.
  const getRound = async (count: number): Promise<number> =>
    concurrent(count, async (i, w) => {
      const got = await send(w, 'GET', `/bench/small/${i % Math.max(1, written)}`);
      if (!got.equals(small)) throw new Error(`GET returned ${got.length} bytes, not the 1 KiB written`);
      ops++;
    });
  await getRound(SMALL_OPS / 3);
  let best: { rate: number; ops: number; before: CpuSample; after: CpuSample; clientUs: number } | undefined;
  for (let r = 0; r < GET_ROUNDS; r++) {
    const before = await sampleRss();
    ops = 0;
    const clientCpu = process.cpuUsage();
    const rate = await getRound(SMALL_OPS);
    const client = process.cpuUsage(clientCpu);
    const after = await sampleRss();
    if (best === undefined || rate > best.rate)
      best = { rate, ops, before, after, clientUs: client.user + client.system };
  }
  if (best === undefined) return;
  results.push(
    {
      name: `s3 GET 1 KiB x${CONCURRENCY} clients (best of ${GET_ROUNDS})`,
      value: best.rate,
      unit: 'ops/s',
      peer: { name: 'file read', value: peer.reads },
      ratio: best.rate / peer.reads,
      goal: '>= 10000 ops/s',
    },
    ...gatewayCpu('GET', best.ops, best.before, best.after),
    { name: 's3 GET 1 KiB bench client CPU per GET', value: best.clientUs / best.ops, unit: 'µs' },
  );
}

async function listing(g: TestGateway, results: BenchResult[]): Promise<void> {
  await call(g, 'PUT', '/list-bench');
  const fillStart = performance.now();
  const { made } = await g.ask<{ made: number }>(
    { op: 'fill', bucket: 'list-bench', keys: LIST_KEYS, timeLimitMs: FILL_LIMIT_MS },
    FILL_LIMIT_MS + 60_000,
  );
  const fillSeconds = (performance.now() - fillStart) / 1000;
  let listed = 0;
  let token: string | undefined;
  const t = performance.now();
  for (let page = 0; page < 1000 && performance.now() - t < LIST_LIMIT_MS; page++) {
    const q = `list-type=2&max-keys=1000${token === undefined ? '' : `&continuation-token=${encodeURIComponent(token)}`}`;
    const body = await text((await call(g, 'GET', `/list-bench?${q}`)).body);
    listed += (body.match(/<Key>/g) ?? []).length;
    token = /<NextContinuationToken>([^<]+)</.exec(body)?.[1];
    if (token === undefined) break;
  }
  results.push({
    name: `s3 list keys (bucket of ${made} keys, filled in ${fillSeconds.toFixed(0)} s)`,
    value: listed / ((performance.now() - t) / 1000),
    unit: 'keys/s',
    goal: '>= 50000 keys/s (1,000,000 keys)',
  });
}
