import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { allocateHostPorts } from './host-ports.js';
import type { ContainerSpec, ContainerStatus, Runtime } from './runtime.js';

/** Builds the runtime under test on a data directory; called again on the same one for adoption. */
export type RuntimeFactory = (dataDir: string) => Runtime;

/** Waits until `check` answers a value, polling every 50 ms for at most `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Reads a log stream to its end (bounded by `timeoutMs`). */
export async function readAll(stream: Readable, timeoutMs = 15_000): Promise<string> {
  let text = '';
  const timer = setTimeout(() => stream.destroy(new Error('log stream did not end')), timeoutMs);
  try {
    for await (const chunk of stream) text += String(chunk);
  } finally {
    clearTimeout(timer);
  }
  return text;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/**
 * The host pid of the process a container knows as `nsPid` running `comm`: the last `NSpid` entry
 * of /proc/PID/status is the pid in the process's own pid namespace, so this finds a container's
 * child whether the runtime gives it a pid namespace (`runc`) or not (`process`, where it is the
 * host pid itself).
 */
function hostPidOf(nsPid: number, comm: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const name = /^Name:\s*(\S+)/m.exec(status)?.[1];
      const nspid = /^NSpid:\s*(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/).at(-1);
      if (name === comm && Number(nspid) === nsPid) return Number(entry);
    } catch {
      // gone while we looked
    }
  }
  return undefined;
}

/** One test's runtime, data directory and containers, all cleaned up by `close`. */
class Harness {
  readonly dir = mkdtempSync(join(tmpdir(), 'stratus-runtime-'));
  readonly runtimes: Runtime[] = [];
  readonly ids = new Set<string>();
  runtime: Runtime;
  private seq = 0;

  constructor(private readonly factory: RuntimeFactory) {
    this.runtime = this.reopen();
  }

  reopen(): Runtime {
    this.runtime = this.factory(this.dir);
    this.runtimes.push(this.runtime);
    return this.runtime;
  }

  spec(script: string, extra: Partial<ContainerSpec> = {}): ContainerSpec {
    return {
      podUid: `uid-${this.seq}`,
      podNamespace: 'default',
      podName: `pod-${this.seq++}`,
      containerName: 'main',
      attempt: 0,
      command: [process.execPath, '-e', script],
      env: {},
      // The test's folder at the same path, for runtimes with their own file system (`runc`).
      mounts: [{ name: 'harness', mountPath: this.dir, hostPath: this.dir }],
      ...extra,
    };
  }

  async start(script: string, extra: Partial<ContainerSpec> = {}): Promise<string> {
    const id = await this.runtime.start(this.spec(script, extra));
    this.ids.add(id);
    return id;
  }

  exited(id: string, timeoutMs = 15_000): Promise<ContainerStatus> {
    return waitFor(
      `container ${id} to exit`,
      async () => {
        const s = await this.runtime.status(id);
        return s.state === 'exited' ? s : undefined;
      },
      timeoutMs,
    );
  }

  async logs(id: string, opts: Parameters<Runtime['logs']>[1] = {}): Promise<string> {
    return readAll(await this.runtime.logs(id, opts));
  }

  async close(): Promise<void> {
    for (const id of this.ids) {
      try {
        await this.runtime.stop(id, { gracePeriodSeconds: 0 });
        await this.runtime.remove(id);
      } catch {
        // already removed by the test
      }
    }
    for (const r of this.runtimes) await r.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const HTTP_SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => res.end('hello from ' + process.env.GREETING));
s.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));`;

const TICKER = `let i = 0; setInterval(() => console.log('tick ' + i++), 50);`;

/**
 * The behaviour every runtime (`process`, `runc`, `vm`) must show, as one node:test suite: run a
 * program that serves HTTP on $PORT, exit codes and reasons, logs (tail, timestamps, since,
 * follow, previous), graceful stop with SIGTERM honoured and SIGKILL after the grace period
 * (children included), preStop hooks, exec, stats, and adoption by a new runtime instance.
 */
export function runtimeContract(
  name: string,
  factory: RuntimeFactory,
  options: { skip?: string | undefined } = {},
): void {
  const skip = options.skip === undefined ? {} : { skip: options.skip };
  describe(`runtime contract: ${name}`, skip, () => {
    const withHarness = (fn: (h: Harness) => Promise<void>) => async () => {
      const h = new Harness(factory);
      try {
        await fn(h);
      } finally {
        await h.close();
      }
    };

    test(
      'runs a program that serves HTTP on $PORT with its env, and logs its output',
      withHarness(async (h) => {
        const [port] = await allocateHostPorts(1);
        assert.ok(port !== undefined);
        const id = await h.start(HTTP_SERVER, {
          env: { GREETING: 'stratus' },
          ports: [{ name: 'http', containerPort: 8080, hostPort: port }],
        });
        const body = await waitFor('the HTTP server', async () => {
          try {
            return await (await fetch(`http://127.0.0.1:${port}/`)).text();
          } catch {
            return undefined;
          }
        });
        assert.equal(body, 'hello from stratus');
        assert.match(await h.logs(id), new RegExp(`^listening on ${port}\\n$`));
        const running = await h.runtime.status(id);
        assert.equal(running.state, 'running');
        assert.ok((running.pid ?? 0) > 0);
        const stopped = await h.runtime.stop(id, { gracePeriodSeconds: 5 });
        assert.equal(stopped.state, 'exited');
        assert.equal(stopped.exitCode, 143);
        assert.equal(stopped.reason, 'Error');
        assert.equal(await h.logs(id), `listening on ${port}\n`, 'the log holds only what the program wrote');
      }),
    );

    test(
      'reports exit codes: 0 is Completed, anything else Error',
      withHarness(async (h) => {
        const ok = await h.start(`console.log('done')`);
        const bad = await h.start(`console.error('oops'); process.exit(3)`);
        const a = await h.runtime.wait(ok);
        assert.equal(await h.logs(ok), 'done\n', 'wait resolves with the log complete');
        const b = await h.exited(bad);
        assert.deepEqual([a.exitCode, a.reason], [0, 'Completed']);
        assert.deepEqual([b.exitCode, b.reason], [3, 'Error']);
        assert.ok(b.finishedAt !== undefined && b.finishedAt >= b.startedAt);
        assert.equal(await h.logs(bad), 'oops\n');
      }),
    );

    test(
      'logs honour tailLines, timestamps and sinceSeconds',
      withHarness(async (h) => {
        const id = await h.start(`for (let i = 1; i <= 5; i++) console.log('line ' + i)`);
        await h.exited(id);
        assert.equal(await h.logs(id, { tailLines: 2 }), 'line 4\nline 5\n');
        assert.equal(await h.logs(id, { tailLines: 0 }), '');
        const stamped = (await h.logs(id, { timestamps: true })).trimEnd().split('\n');
        assert.equal(stamped.length, 5);
        for (const line of stamped) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line \d$/);
        assert.equal((await h.logs(id, { sinceSeconds: 3600 })).split('\n').length, 6);
        assert.equal(await h.logs(id, { sinceTime: '2999-01-01T00:00:00Z' }), '');
        assert.equal(await h.logs(id, { limitBytes: 10 }), 'line 1\nlin');
      }),
    );

    test(
      'follow streams new lines until the container exits',
      withHarness(async (h) => {
        const id = await h.start(
          `let i = 0; const t = setInterval(() => { console.log('n' + i++); if (i === 10) clearInterval(t); }, 30)`,
        );
        const limited = await h.runtime.logs(id, { follow: true, limitBytes: 6 });
        const text = await readAll(await h.runtime.logs(id, { follow: true }));
        assert.equal(text, Array.from({ length: 10 }, (_, i) => `n${i}\n`).join(''));
        assert.equal(await readAll(limited), 'n0\nn1\n', 'a follow stream ends at limitBytes');
      }),
    );

    test(
      'follow ends when the caller aborts',
      withHarness(async (h) => {
        const id = await h.start(TICKER);
        const ac = new AbortController();
        const stream = await h.runtime.logs(id, { follow: true, signal: ac.signal });
        let text = '';
        stream.on('data', (d) => {
          text += String(d);
          if (text.includes('tick 2')) ac.abort();
        });
        await readAll(stream);
        assert.match(text, /tick 0\ntick 1\ntick 2\n/);
        assert.equal((await h.runtime.status(id)).state, 'running');
      }),
    );

    test(
      'stop lets a program that honours SIGTERM exit cleanly',
      withHarness(async (h) => {
        const id = await h.start(
          `process.on('SIGTERM', () => { console.log('bye'); process.exit(0) }); console.log('up'); setInterval(() => {}, 1000)`,
        );
        await waitFor('startup', async () => ((await h.logs(id)).includes('up') ? true : undefined));
        const s = await h.runtime.stop(id, { gracePeriodSeconds: 10 });
        assert.deepEqual([s.exitCode, s.reason], [0, 'Completed']);
        assert.equal(await h.logs(id), 'up\nbye\n');
      }),
    );

    test(
      'stop SIGKILLs the whole process group after the grace period',
      withHarness(async (h) => {
        const script = `process.on('SIGTERM', () => console.log('ignoring TERM'));
        const c = require('node:child_process').spawn('sleep', ['1000'], { stdio: 'ignore' });
        console.log('child ' + c.pid); setInterval(() => {}, 1000)`;
        const id = await h.start(script);
        const nsPid = await waitFor('the child', async () => {
          const m = /child (\d+)/.exec(await h.logs(id));
          return m?.[1] === undefined ? undefined : Number(m[1]);
        });
        const childPid = await waitFor('the child on the host', () => hostPidOf(nsPid, 'sleep'));
        assert.ok(pidAlive(childPid));
        const s = await h.runtime.stop(id, { gracePeriodSeconds: 1 });
        assert.deepEqual([s.exitCode, s.signal, s.reason], [137, 9, 'Error']);
        assert.match(await h.logs(id), /ignoring TERM/);
        await waitFor('the child to die', () => (pidAlive(childPid) ? undefined : true), 5000);
      }),
    );

    test(
      'runs the preStop hook before SIGTERM, and exec in the container env',
      withHarness(async (h) => {
        const marker = join(h.dir, 'prestop-ran');
        const id = await h.start(`setInterval(() => {}, 1000)`, { env: { MARKER: marker } });
        const r = await h.runtime.exec(id, ['sh', '-c', 'echo "$MARKER"; exit 4'], { timeoutSeconds: 10 });
        assert.deepEqual([r.exitCode, r.stdout, r.timedOut], [4, `${marker}\n`, false]);
        const missing = await h.runtime.exec(id, ['/no/such/program']);
        assert.equal(missing.exitCode, 127);
        await h.runtime.stop(id, {
          gracePeriodSeconds: 10,
          preStop: { exec: { command: ['sh', '-c', 'touch "$MARKER"'] } },
        });
        assert.ok(existsSync(marker));
      }),
    );

    test(
      'execStream (when the runtime has it): stdin in, stdout and stderr apart, the exit code; a tty',
      withHarness(async (h) => {
        if (h.runtime.execStream === undefined) return;
        const id = await h.start(`setInterval(() => {}, 1000)`, { env: { MARKER: 'm1' } });
        const s = await h.runtime.execStream(id, ['sh', '-c', 'cat; echo "$MARKER" >&2; exit 6'], {
          tty: false,
          stdin: true,
        });
        const out = readAll(s.stdout);
        const err = s.stderr === null ? Promise.resolve('') : readAll(s.stderr);
        s.stdin?.end('piped\n');
        assert.equal(await s.exited, 6);
        assert.equal(await out, 'piped\n');
        assert.equal(await err, 'm1\n');
        const t = await h.runtime.execStream(id, ['sh', '-c', 'tty; exit 2'], { tty: true, stdin: true });
        assert.equal(t.stderr, null, 'a terminal merges stderr into stdout');
        const tout = readAll(t.stdout);
        assert.equal(await t.exited, 2);
        assert.match(await tout, /^\/dev\/pts\/\d+\r?\n/);
        const abort = new AbortController();
        const long = await h.runtime.execStream(id, ['sleep', '600'], {
          tty: false,
          stdin: false,
          signal: abort.signal,
        });
        abort.abort();
        assert.equal(await long.exited, 137, 'an aborted session kills its command');
      }),
    );

    test(
      'stats reports the memory and CPU a running container uses',
      withHarness(async (h) => {
        const id = await h.start(
          `const keep = Buffer.alloc(32 * 1024 * 1024, 1); console.log('ready'); setInterval(() => keep[0]++, 1000)`,
        );
        await waitFor('startup', async () => ((await h.logs(id)).includes('ready') ? true : undefined));
        const s = await h.runtime.stats(id);
        assert.ok(s.memoryBytes >= 32 * 1024 * 1024, `memory ${s.memoryBytes}`);
        assert.ok(s.cpuSeconds > 0, `cpu ${s.cpuSeconds}`);
      }),
    );

    test(
      'previous returns the logs of the prior attempt',
      withHarness(async (h) => {
        const first = await h.start(`console.log('attempt zero')`, {
          podUid: 'same',
          podName: 'p',
          attempt: 0,
        });
        await h.exited(first);
        const second = await h.start(`console.log('attempt one')`, {
          podUid: 'same',
          podName: 'p',
          attempt: 1,
        });
        await h.exited(second);
        assert.equal(await h.logs(second), 'attempt one\n');
        assert.equal(await h.logs(second, { previous: true }), 'attempt zero\n');
        await assert.rejects(h.runtime.logs(first, { previous: true }), /previous terminated container/);
        await h.runtime.remove(first);
        assert.equal(
          await h.logs(second, { previous: true }),
          'attempt zero\n',
          'the log outlives the record',
        );
      }),
    );

    test(
      'a new runtime on the same data dir adopts running containers instead of losing them',
      withHarness(async (h) => {
        const id = await h.start(TICKER);
        const quick = await h.start(`setTimeout(() => process.exit(7), 300)`);
        await waitFor('ticks', async () => ((await h.logs(id)).includes('tick 3') ? true : undefined));
        const pid = (await h.runtime.status(id)).pid;
        await h.runtime.close();
        await new Promise((r) => setTimeout(r, 600));
        const second = h.reopen();
        const listed = await second.list();
        const adopted = listed.find((s) => s.id === id);
        assert.equal(adopted?.state, 'running');
        assert.equal(adopted.pid, pid);
        const q = await h.exited(quick);
        assert.deepEqual([q.exitCode, q.reason], [7, 'Error']);
        const before = (await h.logs(id)).split('\n').length;
        await waitFor('ticks after adoption', async () =>
          (await h.logs(id)).split('\n').length > before + 3 ? true : undefined,
        );
        const ticks = (await h.logs(id)).trimEnd().split('\n');
        ticks.forEach((line, i) => assert.equal(line, `tick ${i}`));
        const s = await second.stop(id, { gracePeriodSeconds: 5 });
        assert.deepEqual([s.exitCode, s.reason], [143, 'Error']);
      }),
    );
  });
}
