/**
 * Slow and idle connections: `bin/stratus server` (API and S3 ports, default connection limits)
 * as a child process; a normal client in this process times sequential GETs on each port (a
 * ConfigMap over keep-alive HTTP, a 1 KiB object signed with SigV4) with no other connections,
 * then while a second child (this module, `hold`) holds 1,000 connections per port open from
 * four other loopback addresses — half idle, half trickling request headers a byte a second,
 * spread over the second (it reopens what the timeouts close). Rounds alternate without and with, five times each, so that drift in the machine's load
 * falls on both; the figure is the p99 with against the p99 without, all samples of a kind pooled. Bounded: a fixed number of GETs per round, 30 s a phase.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCredentialsIni } from '../src/objectstore/s3/credentials.js';
import { RequestSigner } from '../src/objectstore/s3/sigv4-signer.js';
import { Agent } from 'node:http';
import { send } from './api-tools.js';
import type { BenchResult } from './result.js';

const HELD = 1000;
const GETS_PER_ROUND = 1000;
const ROUNDS = 5;
const WARM_UP = 300;
const PHASE_LIMIT_MS = 30_000;
const SOURCES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];

/** Holds `HELD` connections to a port until stopped, reopening those the server closes. */
class Holders {
  private readonly sockets = new Set<Socket>();
  /** The trickling ones, in ten slices written to in turn, so their bytes arrive spread out. */
  private readonly slices: Array<Set<Socket>> = Array.from({ length: 10 }, () => new Set());
  private readonly timer: NodeJS.Timeout;
  private stopped = false;
  private next = 0;
  private tick = 0;

  constructor(private readonly port: number) {
    for (let i = 0; i < HELD; i++) this.open();
    // A byte a second on every trickling connection: slowloris's pace.
    this.timer = setInterval(() => {
      for (const s of this.slices[this.tick++ % this.slices.length]!) s.write('a');
    }, 100);
  }

  private open(): void {
    if (this.stopped) return;
    const n = this.next++;
    const socket = connect({ port: this.port, host: '127.0.0.1', localAddress: SOURCES[n % SOURCES.length] });
    const slice = n % 2 === 1 ? this.slices[(n >> 1) % this.slices.length] : undefined;
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.sockets.delete(socket);
      slice?.delete(socket);
      this.open();
    });
    if (slice !== undefined) {
      slice.add(socket);
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    }
    this.sockets.add(socket);
  }

  /** Connections open now (for the report). */
  get size(): number {
    return this.sockets.size;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const s of this.sockets) s.destroy();
  }
}

/** Latencies (ms) of sequential GETs. */
async function round(op: () => Promise<void>, into: number[], count: number): Promise<void> {
  const deadline = Date.now() + PHASE_LIMIT_MS;
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    const t0 = performance.now();
    await op();
    into.push(performance.now() - t0);
  }
}

/** CPU time (user + system) a process has used, in ms (Linux). */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after "pid (comm) ", in clock ticks.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] ?? 0;
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; out: () => string }> {
  const bin = fileURLToPath(new URL('../../bin/stratus', import.meta.url));
  // S3 in plain HTTP, as the API port's loopback clients are: the holders trickle plain HTTP, and
  // the figures are about the connection guard, not TLS.
  const args = ['server', '--data-dir', dataDir, '--port', '0', '--s3-port', '0', '--s3-insecure-http'];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!/S3 credentials:/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`stratus server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, out: () => out };
}

/** Runs the benchmark; returns the p99 of each port's GETs with the held connections against without. */
export async function benchConnections(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-conn-'));
  const { child, out } = await startServer(dir);
  try {
    const apiPort = Number(/API server listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(out())?.[1]);
    const s3Url = /S3 endpoint: (\S+)/.exec(out())?.[1] ?? '';
    const token = /token: (\S+)/.exec(await readFile(join(dir, 'kubeconfig'), 'utf8'))?.[1] ?? '';
    const creds = parseCredentialsIni(await readFile(join(dir, 's3-credentials'), 'utf8'));
    const signer = new RequestSigner({
      accessKeyId: creds.accessKeyId ?? '',
      secretAccessKey: creds.secretAccessKey ?? '',
    });
    const api = `http://127.0.0.1:${apiPort}/api/v1/namespaces/default/configmaps/bench-get`;
    const auth = { authorization: `Bearer ${token}` };
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await send(
      `http://127.0.0.1:${apiPort}/api/v1/namespaces/default/configmaps`,
      agent,
      'POST',
      { ...auth, 'content-type': 'application/json' },
      JSON.stringify({ metadata: { name: 'bench-get' }, data: { k: 'v' } }),
    );
    const s3 = (method: string, path: string, body?: Buffer): Promise<void> => {
      const headers = signer.sign({ method, url: `${s3Url}${path}`, payloadHash: 'UNSIGNED-PAYLOAD' });
      return send(
        `${s3Url}${path}`,
        agent,
        method,
        { ...headers, 'content-length': String(body?.length ?? 0) },
        body,
      );
    };
    await s3('PUT', '/bench-conn');
    await s3('PUT', '/bench-conn/one-kib', Buffer.alloc(1024, 7));
    const ops: Record<'api' | 's3', () => Promise<void>> = {
      api: () => send(api, agent, 'GET', auth),
      s3: () => s3('GET', '/bench-conn/one-kib'),
    };
    const samples = {
      api: { without: [] as number[], with: [] as number[] },
      s3: { without: [] as number[], with: [] as number[] },
    };
    let heldMin = Infinity;
    // Each phase starts with GETs that are not counted: the server is still taking in the
    // connections just opened (or closed), which is not what the figure is about.
    const cpu = { with: 0, without: 0 };
    const phase = async (kind: 'with' | 'without'): Promise<void> => {
      for (const port of ['api', 's3'] as const) {
        await round(ops[port], [], WARM_UP);
        const before = await cpuMs(child.pid ?? 0);
        await round(ops[port], samples[port][kind], GETS_PER_ROUND);
        cpu[kind] += (await cpuMs(child.pid ?? 0)) - before;
      }
    };
    for (let r = 0; r < ROUNDS; r++) {
      await phase('without');
      const holder = await startHolders([apiPort, Number(new URL(s3Url).port)]);
      await phase('with');
      heldMin = Math.min(heldMin, await holder.stop());
    }
    const gets = (kind: 'with' | 'without'): number => samples.api[kind].length + samples.s3[kind].length;
    const perGet = (kind: 'with' | 'without'): number => (cpu[kind] * 1000) / gets(kind);
    const cpuResult: BenchResult = {
      name: `server CPU per GET with ${HELD} idle/trickling connections per port`,
      value: perGet('with'),
      unit: 'µs',
      peer: { name: 'without them', value: perGet('without') },
      ratio: perGet('with') / perGet('without'),
    };
    return [
      cpuResult,
      ...(['api', 's3'] as const).map((port): BenchResult => {
        const without = p99(samples[port].without);
        const withHeld = p99(samples[port].with);
        return {
          name: `${port} GET p99 with ${HELD} idle/trickling connections per port (at least ${heldMin} held)`,
          value: withHeld,
          unit: 'ms',
          peer: { name: 'without them', value: without },
          ratio: withHeld / without,
          goal: '<= 1.20x',
        };
      }),
    ];
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/** A child holding connections to `ports`; resolves once all are open. */
async function startHolders(ports: number[]): Promise<{ stop(): Promise<number> }> {
  const child = fork(fileURLToPath(import.meta.url), ['hold', ...ports.map(String)], { stdio: 'inherit' });
  const next = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the holder child did not answer')), PHASE_LIMIT_MS);
      child.once('message', (m: { held: number }) => {
        clearTimeout(timer);
        resolve(m.held);
      });
    });
  await next();
  return {
    stop: async () => {
      const held = next();
      child.send('stop');
      const n = await held;
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
      return n;
    },
  };
}

/** The holder child: holds connections, reports when all are open, and how many were at `stop`. */
async function hold(ports: number[]): Promise<void> {
  const holders = ports.map((p) => new Holders(p));
  while (holders.some((h) => h.size < HELD)) await new Promise((r) => setTimeout(r, 20));
  process.send?.({ held: HELD });
  process.once('message', () => {
    const held = Math.min(...holders.map((h) => h.size));
    for (const h of holders) h.stop();
    process.send?.({ held }, () => process.exit(0));
  });
  process.once('disconnect', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'hold') {
  await hold(process.argv.slice(3).map(Number));
}
