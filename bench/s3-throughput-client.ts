/**
 * The client side of `bench/s3-throughput.ts`: starts the gateway process
 * (`s3-throughput-gateway.ts`), sends SigV4-signed requests to it (UNSIGNED-PAYLOAD, as SDKs send
 * over TLS) on lean keep-alive connections (`s3-small-client.ts`) and reads the process's CPU time
 * and memory from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signRequest } from '../src/objectstore/s3/sigv4-signer.js';
import { SmallHttpConnection, type SmallReply } from './s3-small-client.js';
import { STRATUS_NODE_ENV, STRATUS_NODE_FLAGS } from './stratus-node.js';

const START_TIMEOUT_MS = 30_000;

/** A gateway child process and how to reach it. */
export interface Gateway {
  url: URL;
  pid: number;
  accessKeyId: string;
  secretAccessKey: string;
  /** Idle connections; a request takes one or opens another, so concurrency needs no setting. */
  idle: SmallHttpConnection[];
  close(): Promise<void>;
}

/** Starts the gateway process with R devices and R replicas, or (replicas 0) the plain Node file server peer. */
export async function startGateway(replicas: number): Promise<Gateway> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-s3tp-'));
  const script = fileURLToPath(new URL('./s3-throughput-gateway.js', import.meta.url));
  const args =
    replicas === 0
      ? ['--peer', '--dir', dir]
      : ['--dir', dir, '--devices', String(replicas), '--replicas', String(replicas)];
  const nodeArgs = [
    ...STRATUS_NODE_FLAGS,
    ...(process.env.S3_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...STRATUS_NODE_ENV },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('gateway did not start in time')), START_TIMEOUT_MS);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, nl));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited with ${code} before it started`));
      });
    });
    const info = JSON.parse(line) as { url: string; accessKeyId: string; secretAccessKey: string };
    const idle: SmallHttpConnection[] = [];
    return {
      url: new URL(info.url),
      pid: child.pid ?? 0,
      accessKeyId: info.accessKeyId,
      secretAccessKey: info.secretAccessKey,
      idle,
      close: async () => {
        await Promise.all(idle.splice(0).map((c) => c.close()));
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Sends one signed request; resolves with the reply (status checked by the caller, 2xx bodies only counted). */
export async function send(g: Gateway, method: string, path: string, body?: Buffer): Promise<SmallReply> {
  const url = new URL(path, g.url);
  const headers = signRequest(
    { method, url: url.href, payloadHash: 'UNSIGNED-PAYLOAD' },
    { accessKeyId: g.accessKeyId, secretAccessKey: g.secretAccessKey },
  );
  const conn = g.idle.pop() ?? new SmallHttpConnection(url.hostname, Number(url.port));
  const reply = await conn.request(method, `${url.pathname}${url.search}`, headers, body, {
    keepBody: false,
  });
  g.idle.push(conn);
  return reply;
}

/** A request that must succeed (2xx); returns the body's byte count. */
export async function call(g: Gateway, method: string, path: string, body?: Buffer): Promise<number> {
  const reply = await send(g, method, path, body);
  if (reply.status >= 300)
    throw new Error(`${method} ${path}: ${reply.status} ${reply.body.toString().slice(0, 300)}`);
  return reply.length;
}

/** CPU time (user + system) a process used so far, in ms (from /proc; 0 off Linux). */
export async function procCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 (11 and 12 after the command), in clock ticks of 10 ms.
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10;
}

/** The resident set of a process in MiB (VmRSS or VmHWM from /proc), or undefined off Linux. */
export async function procMemory(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const m = status === undefined ? null : new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) / 1024 : undefined;
}
