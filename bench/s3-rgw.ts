/**
 * S3 side by side with Ceph RGW 16.2 (issue 13 figures), in one run on loopback: Stratus's gateway
 * child (`bench/s3-gateway.ts`, one device, R=1) and a one-node Ceph cluster with radosgw
 * (built by the shared s3peer `setup.sh` in `S3_RGW_DIR`, default /var/tmp/stratus-bench-rgw,
 * reused when present; `make bench-deps` installs Debian's ceph packages). Two clients: the
 * bench's lean client (`s3-small-client.ts`, UNSIGNED-PAYLOAD; listings over signed node:http, since
 * RGW sends them chunked) and the AWS SDK for JavaScript v3
 * at its default settings — except that for RGW its flexible checksums are off
 * (`requestChecksumCalculation: 'WHEN_REQUIRED'`): RGW 16.2 answers 411 to the chunked uploads
 * with trailing checksums the SDK sends by default. Per figure, Stratus and RGW are measured one
 * after the other: throughput, and the server's CPU per operation from /proc (utime + stime of
 * the gateway child; of radosgw, ceph-osd and ceph-mon together for RGW). Every loop is bounded
 * in count and time. At the end RGW's garbage collection runs and RGW is stopped by its pids.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent, request, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { BenchResult } from './result.js';
import { concurrent, startChildGateway, type TestGateway } from './s3.js';
import { SmallHttpConnection } from './s3-small-client.js';
import { procCpuMs } from './s3-throughput-client.js';
import { RequestSigner } from '../src/objectstore/s3/sigv4-signer.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const BIG = 64 * MiB;
const CONCURRENCY = 16;
const SMALL_PUTS = 3000;
const SMALL_GETS = 6000;
const BIG_ROUNDS = 3;
const PHASE_LIMIT_MS = 20_000;
const LIST_PASSES = 5;
const RGW_DIR = process.env.S3_RGW_DIR ?? '/var/tmp/stratus-bench-rgw';
const RGW_SETUP = process.env.S3_RGW_SETUP ?? '/work/shared/tools/s3peer/setup.sh';
const RGW_PORT = '18080';
/** The s3-tests user that setup.sh creates. */
const RGW_KEY = {
  accessKeyId: '0555b35654ad1656d804',
  secretAccessKey: 'h7GhxuBLTrlhVUyxSPUKUV8r/2EI4ngqJxD7iBdBYLhwluN30JaT3Q==',
};

/** One server under test, with both clients. */
interface Server {
  name: string;
  url: string;
  bucket: string;
  pids: () => Promise<number[]>;
  signer: RequestSigner;
  conns: SmallHttpConnection[];
  sdk: S3Client;
}

/** CPU time (ms) all of a server's processes used so far. */
async function serverCpuMs(s: Server): Promise<number> {
  let sum = 0;
  for (const pid of await s.pids()) sum += await procCpuMs(pid);
  return sum;
}

function server(
  name: string,
  url: string,
  key: { accessKeyId: string; secretAccessKey: string },
  pids: () => Promise<number[]>,
  sdkDefaults: boolean,
): Server {
  const u = new URL(url);
  return {
    name,
    url,
    bucket: `rgw-bench-${Date.now().toString(36)}`,
    pids,
    signer: new RequestSigner(key),
    conns: Array.from({ length: CONCURRENCY }, () => new SmallHttpConnection(u.hostname, Number(u.port))),
    sdk: new S3Client({
      endpoint: url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: key,
      ...(sdkDefaults ? {} : { requestChecksumCalculation: 'WHEN_REQUIRED' as const }),
    }),
  };
}

/** A lean-client request that must answer 200; returns the body (kept when `keep`). */
async function lean(
  s: Server,
  w: number,
  method: string,
  path: string,
  body?: Buffer,
  keep = true,
): Promise<{ length: number; body: Buffer }> {
  const headers = s.signer.sign({ method, url: `${s.url}${path}`, payloadHash: 'UNSIGNED-PAYLOAD' });
  const reply = await s.conns[w]!.request(method, path, headers, body, { keepBody: keep });
  if (reply.status !== 200)
    throw new Error(`${s.name} ${method} ${path}: ${reply.status} ${reply.body.toString().slice(0, 300)}`);
  return reply;
}

const agent = new Agent({ keepAlive: true });

/** A signed GET over node:http (RGW sends listings chunked, which the lean client does not read). */
async function httpGet(s: Server, path: string): Promise<string> {
  const headers = s.signer.sign({ method: 'GET', url: `${s.url}${path}`, payloadHash: 'UNSIGNED-PAYLOAD' });
  const u = new URL(s.url);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    request({ host: u.hostname, port: u.port, path, agent, headers }, resolve).on('error', reject).end();
  });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks).toString();
  if (res.statusCode !== 200)
    throw new Error(`${s.name} GET ${path}: ${res.statusCode} ${body.slice(0, 300)}`);
  return body;
}

async function drain(body: unknown): Promise<number> {
  let n = 0;
  for await (const c of body as Readable) n += (c as Buffer).length;
  return n;
}

/** Rate (per second of wall clock) and server CPU (ms) per operation of one measured phase. */
interface Measured {
  rate: number;
  cpuPerOp: number;
}

async function measure(s: Server, phase: () => Promise<number>): Promise<Measured> {
  const cpu = await serverCpuMs(s);
  const t = performance.now();
  const ops = await phase();
  const seconds = (performance.now() - t) / 1000;
  return { rate: ops / seconds, cpuPerOp: ((await serverCpuMs(s)) - cpu) / Math.max(1, ops) };
}

/** Runs `fn` on CONCURRENCY workers for up to `count` items; returns how many were done. */
async function done(count: number, fn: (i: number, w: number) => Promise<void>): Promise<number> {
  let n = 0;
  await concurrent(count, async (i, w) => {
    await fn(i, w);
    n++;
  });
  return n;
}

type Client = 'lean' | 'SDK';

const small = randomBytes(1024);
const big = randomBytes(BIG);

/** The phases, each run once per server; `written` counts the 1 KiB keys each server holds. */
function phases(
  written: Map<Server, number>,
): { name: string; unit: string; run: (s: Server) => Promise<number> }[] {
  const key = (client: Client, i: number): string => `small/${client}/${String(i).padStart(6, '0')}`;
  const put = (client: Client) => async (s: Server) => {
    const n = await done(SMALL_PUTS, async (i, w) => {
      if (client === 'lean') await lean(s, w, 'PUT', `/${s.bucket}/${key(client, i)}`, small);
      else await s.sdk.send(new PutObjectCommand({ Bucket: s.bucket, Key: key(client, i), Body: small }));
    });
    written.set(s, Math.min(written.get(s) ?? Infinity, n));
    return n;
  };
  const get = (client: Client) => async (s: Server) =>
    done(SMALL_GETS, async (i, w) => {
      const k = key(client, i % Math.max(1, written.get(s) ?? 1));
      let got: number;
      if (client === 'lean') got = (await lean(s, w, 'GET', `/${s.bucket}/${k}`)).length;
      else
        got =
          (
            await (
              await s.sdk.send(new GetObjectCommand({ Bucket: s.bucket, Key: k }))
            ).Body?.transformToByteArray()
          )?.length ?? 0;
      if (got !== 1024) throw new Error(`${s.name} GET ${k}: ${got} bytes, not 1024`);
    });
  const bigPut = (client: Client) => async (s: Server) => {
    for (let r = 0; r < BIG_ROUNDS; r++) {
      if (client === 'lean') await lean(s, 0, 'PUT', `/${s.bucket}/big-${client}`, big);
      else await s.sdk.send(new PutObjectCommand({ Bucket: s.bucket, Key: `big-${client}`, Body: big }));
    }
    return (BIG_ROUNDS * BIG) / MiB;
  };
  const bigGet = (client: Client) => async (s: Server) => {
    for (let r = 0; r < BIG_ROUNDS; r++) {
      const n =
        client === 'lean'
          ? (await lean(s, 0, 'GET', `/${s.bucket}/big-${client}`, undefined, false)).length
          : await drain(
              (await s.sdk.send(new GetObjectCommand({ Bucket: s.bucket, Key: `big-${client}` }))).Body,
            );
      if (n !== BIG) throw new Error(`${s.name} GET big: ${n} bytes`);
    }
    return (BIG_ROUNDS * BIG) / MiB;
  };
  const list = (client: Client) => async (s: Server) => {
    let keys = 0;
    const t = performance.now();
    for (let pass = 0; pass < LIST_PASSES && performance.now() - t < PHASE_LIMIT_MS; pass++) {
      let token: string | undefined;
      for (let page = 0; page < 100; page++) {
        if (client === 'SDK') {
          const r = await s.sdk.send(
            new ListObjectsV2Command({
              Bucket: s.bucket,
              Prefix: 'small/',
              MaxKeys: 1000,
              ContinuationToken: token,
            }),
          );
          keys += r.KeyCount ?? 0;
          token = r.NextContinuationToken;
        } else {
          const q = `list-type=2&max-keys=1000&prefix=small%2F${token === undefined ? '' : `&continuation-token=${encodeURIComponent(token)}`}`;
          const body = await httpGet(s, `/${s.bucket}?${q}`);
          keys += (body.match(/<Key>/g) ?? []).length;
          token = /<NextContinuationToken>([^<]+)</.exec(body)?.[1];
        }
        if (token === undefined) break;
      }
    }
    return keys;
  };
  return [
    { name: 'PUT 1 KiB, lean client', unit: 'ops/s', run: put('lean') },
    { name: 'PUT 1 KiB, SDK', unit: 'ops/s', run: put('SDK') },
    { name: 'GET 1 KiB, lean client', unit: 'ops/s', run: get('lean') },
    { name: 'GET 1 KiB, SDK', unit: 'ops/s', run: get('SDK') },
    { name: 'PUT 64 MiB, lean client', unit: 'MiB/s', run: bigPut('lean') },
    { name: 'PUT 64 MiB, SDK', unit: 'MiB/s', run: bigPut('SDK') },
    { name: 'GET 64 MiB, lean client', unit: 'MiB/s', run: bigGet('lean') },
    { name: 'GET 64 MiB, SDK', unit: 'MiB/s', run: bigGet('SDK') },
    { name: 'list keys, signed node:http', unit: 'keys/s', run: list('lean') },
    { name: 'list keys, SDK', unit: 'keys/s', run: list('SDK') },
  ];
}

/** The issue's goals: throughput ratio (Stratus / RGW) and server-CPU ratio per figure. */
function goals(name: string): { rate: number; cpu?: number } {
  if (name === 'PUT 1 KiB, lean client') return { rate: 3 };
  if (name === 'GET 1 KiB, lean client') return { rate: 5 };
  if (name === 'PUT 64 MiB, SDK') return { rate: 1, cpu: 0.8 };
  if (name === 'PUT 1 KiB, SDK' || name === 'GET 1 KiB, SDK' || name === 'GET 64 MiB, SDK')
    return { rate: 1, cpu: 0.25 };
  return { rate: 1 };
}

const mark = (ok: boolean): string => (ok ? '✓' : '✗');

async function sh(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  const { stdout } = await run(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * MiB });
  return stdout;
}

/** Starts RGW (building the cluster the first time); returns its URL, or a reason to skip. */
async function startRgw(): Promise<{ url: string } | { skip: string }> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const has = async (cmd: string): Promise<boolean> =>
    sh('bash', ['-c', `command -v ${cmd}`], 5_000).then(
      () => true,
      () => false,
    );
  if (!(await has('radosgw'))) {
    if (process.getuid?.() !== 0) return { skip: 'radosgw is not installed: run `make bench-deps` as root' };
    await sh('make', ['-C', root, 'bench-deps'], 900_000);
  }
  if (existsSync(`${RGW_DIR}/start.sh`)) await sh(`${RGW_DIR}/start.sh`, [], 180_000);
  else if (existsSync(RGW_SETUP))
    await run('bash', [RGW_SETUP, RGW_DIR], { timeout: 300_000, env: { ...process.env, RGW_PORT } });
  else return { skip: `no s3peer setup script at ${RGW_SETUP} (S3_RGW_SETUP)` };
  await gc();
  const conf = await readFile(`${RGW_DIR}/ceph.conf`, 'utf8');
  const port = /endpoint=127\.0\.0\.1:(\d+)/.exec(conf)?.[1] ?? '8000';
  return { url: `http://127.0.0.1:${port}` };
}

/** RGW keeps deleted and overwritten data for 2 hours unless its garbage collection runs. */
async function gc(): Promise<void> {
  await sh('radosgw-admin', ['-c', `${RGW_DIR}/ceph.conf`, 'gc', 'process', '--include-all'], 300_000);
}

async function rgwPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of ['rgw', 'osd.0', 'mon.a'])
    pids.push(Number((await readFile(`${RGW_DIR}/run/${name}.pid`, 'utf8')).trim()));
  return pids;
}

/** Runs the side-by-side benchmark. */
export async function benchS3Rgw(): Promise<BenchResult[]> {
  let g: TestGateway | undefined;
  const servers: Server[] = [];
  try {
    // Inside the try: a start that fails half-way still stops what it started.
    const rgw = await startRgw();
    if ('skip' in rgw) {
      console.log(`s3-rgw: skipped: ${rgw.skip}`);
      return [];
    }
    g = await startChildGateway();
    const gw = g;
    servers.push(
      server('Stratus', g.url.replace(/\/$/, ''), g.key, () => Promise.resolve([gw.pid]), true),
      server('RGW', rgw.url, RGW_KEY, rgwPids, false),
    );
    for (const s of servers) await s.sdk.send(new CreateBucketCommand({ Bucket: s.bucket }));
    const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
    console.log(
      `s3-rgw: load average before ${load}; SDK flexible checksums off for RGW only ` +
        `(requestChecksumCalculation: 'WHEN_REQUIRED'; RGW 16.2 answers 411 to the default)`,
    );
    const results: BenchResult[] = [];
    const written = new Map<Server, number>();
    for (const p of phases(written)) {
      const [a, b] = [servers[0]!, servers[1]!];
      const stratus = await measure(a, () => p.run(a));
      const peer = await measure(b, () => p.run(b));
      const goal = goals(p.name);
      const ratio = stratus.rate / peer.rate;
      results.push({
        name: `s3 vs RGW: ${p.name}`,
        value: stratus.rate,
        unit: p.unit,
        peer: { name: 'RGW', value: peer.rate },
        ratio,
        goal: `>= ${goal.rate}x ${mark(ratio >= goal.rate)}`,
      });
      // Per op in ms: per MiB for the large objects (x 64 per object), per key for listing.
      const [factor, unit] =
        p.unit === 'MiB/s'
          ? [BIG / MiB, 'ms']
          : p.unit === 'keys/s'
            ? [1e6, 'µs per 1000 keys']
            : [1000, 'µs'];
      const cpuRatio = stratus.cpuPerOp / peer.cpuPerOp;
      results.push({
        name: `s3 vs RGW: server CPU per op, ${p.name}`,
        value: stratus.cpuPerOp * factor,
        unit,
        peer: { name: 'RGW', value: peer.cpuPerOp * factor },
        ratio: cpuRatio,
        ...(goal.cpu === undefined ? {} : { goal: `<= ${goal.cpu}x ${mark(cpuRatio <= goal.cpu)}` }),
      });
    }
    const after = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
    console.log(`s3-rgw: load average after ${after}`);
    return results;
  } finally {
    for (const s of servers) {
      s.sdk.destroy();
      await Promise.all(s.conns.map((c) => c.close()));
    }
    agent.destroy();
    await g?.close();
    if (existsSync(`${RGW_DIR}/stop.sh`)) {
      await gc().catch((err: unknown) => console.log(`s3-rgw: RGW gc failed: ${(err as Error).message}`));
      await sh(`${RGW_DIR}/stop.sh`, [], 120_000).catch((err: unknown) =>
        console.log(`s3-rgw: RGW stop failed: ${(err as Error).message}`),
      );
    }
  }
}
