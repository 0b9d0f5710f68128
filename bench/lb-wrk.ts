/**
 * wrk runs and child processes for the load-balancer benchmarks (`lb.ts`, `lb-reload.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitForPort } from './lb-clients.js';

/** One measured wrk run. */
export interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: string;
  /** Socket errors (connect, read, write, timeout) and non-2xx/3xx answers. */
  failed: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function ms(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text ?? '');
  if (m === null) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/** One wrk run; with two ports, two wrk of half the threads and connections at once, summed. */
export async function wrk(ports: readonly number[], seconds: number): Promise<Run> {
  const threads = 2 / ports.length;
  const outs = await Promise.all(
    ports.map(
      (port) =>
        new Promise<string>((resolve) => {
          const args = [
            `-t${threads}`,
            `-c${64 / ports.length}`,
            `-d${seconds}s`,
            '--latency',
            `http://127.0.0.1:${port}/`,
          ];
          const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'ignore'] });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
          child.once('close', () => {
            clearTimeout(timer);
            resolve(out);
          });
        }),
    ),
  );
  const runs = outs.map(parseWrk);
  return {
    rps: runs.reduce((a, r) => a + r.rps, 0),
    p50: Math.max(...runs.map((r) => r.p50)),
    p99: Math.max(...runs.map((r) => r.p99)),
    errors: runs.map((r) => r.errors).join(' '),
    failed: runs.reduce((a, r) => a + r.failed, 0),
  };
}

function parseWrk(out: string): Run {
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1]),
    p99: ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1]),
    errors: [/Socket errors:.*/.exec(out)?.[0], /Non-2xx.*/.exec(out)?.[0]].filter(Boolean).join('; '),
    failed:
      [...(/Socket errors:(.*)/.exec(out)?.[1] ?? '').matchAll(/\d+/g)].reduce(
        (a, m) => a + Number(m[0]),
        0,
      ) + Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
  };
}

/** Spawns a child and waits for its "ready" line (or for `port` to accept, when given). */
export async function start(
  children: ChildProcess[],
  cmd: string,
  args: readonly string[],
  port?: number,
): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited (${code}): ${stderr}`))),
  );
  const ready =
    port === undefined
      ? new Promise<void>((resolve) =>
          createInterface({ input: child.stdout }).on('line', (l) => l === 'ready' && resolve()),
        )
      : waitForPort(port);
  await Promise.race([
    ready,
    exited,
    new Promise((_, r) => setTimeout(() => r(new Error(`${cmd} did not start`)), 30_000)),
  ]);
  child.stdout?.resume();
  exited.catch(() => undefined);
  return child;
}
