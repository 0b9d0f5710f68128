import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { ExecSession } from './runtime.js';
import { killGroup } from './wrapper.js';

/** Options of `spawnExecSession`. */
export interface ExecSessionOptions {
  env: Record<string, string>;
  cwd?: string | undefined;
  /** Under a pseudo-terminal made by util-linux `script` (no native addon needed). */
  tty: boolean;
  stdin: boolean;
  signal?: AbortSignal | undefined;
}

/** Quotes one word for `sh -c`. Pure. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line that runs `command` under a new pseudo-terminal: util-linux's
 * `script -qfec CMD /dev/null` (quiet, flush at once, exit with the command's code, no
 * typescript file). Pure.
 */
export function ttyCommand(command: readonly string[]): string[] {
  return ['script', '-qfec', command.map(shellQuote).join(' '), '/dev/null'];
}

/** The terminal (`/dev/pts/N`) the first child of `pid` has as stdin, once it runs. */
function findPts(pid: number): string | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    if (first === undefined || first === '') return undefined;
    const target = readlinkSync(`/proc/${first}/fd/0`);
    return target.startsWith('/dev/pts/') ? target : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a command with its streams open, in its own process group (an abort kills all it
 * started). With `tty`, the command runs under `script`, which gives it a pseudo-terminal;
 * a resize runs `stty -F /dev/pts/N cols C rows R` on that terminal, which delivers SIGWINCH to
 * its foreground job, as a terminal emulator's resize does. A command that cannot start exits
 * 127 (missing) or 126 with the reason on stderr (on stdout with a tty).
 */
export function spawnExecSession(command: readonly string[], options: ExecSessionOptions): ExecSession {
  const argv = options.tty ? ttyCommand(command) : [...command];
  const [file, ...args] = argv;
  const stdout = new PassThrough();
  const stderr = options.tty ? null : new PassThrough();
  if (file === undefined) {
    (stderr ?? stdout).end('empty command\n');
    if (stderr !== null) stdout.end();
    return { stdin: null, stdout, stderr, resize: () => undefined, exited: Promise.resolve(126) };
  }
  const env = options.tty ? { TERM: 'xterm', ...options.env } : options.env;
  const child: ChildProcess = spawn(file, args, {
    detached: true,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  child.stdout?.pipe(stdout);
  // `script` writes nothing of its own with -q; what arrives on its stderr is its own failure.
  child.stderr?.pipe(stderr ?? stdout, { end: false });
  if (stderr === null) child.stderr?.resume();
  const kill = (): void => {
    if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
  };
  if (options.signal?.aborted === true) kill();
  options.signal?.addEventListener('abort', kill, { once: true });
  let pts: string | undefined;
  let wanted: { cols: number; rows: number } | undefined;
  let retry: NodeJS.Timeout | undefined;
  const applySize = (): void => {
    if (wanted === undefined || child.pid === undefined || child.exitCode !== null) return;
    pts ??= findPts(child.pid);
    if (pts === undefined) {
      // The command is not running under its terminal yet: try again shortly.
      retry ??= setTimeout(() => {
        retry = undefined;
        applySize();
      }, 20);
      return;
    }
    const { cols, rows } = wanted;
    wanted = undefined;
    spawn('stty', ['-F', pts, 'cols', String(cols), 'rows', String(rows)], { stdio: 'ignore' }).on(
      'error',
      () => undefined,
    );
  };
  const exited = new Promise<number>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      (stderr ?? stdout).write(`${err.message}\n`);
      stdout.end();
      stderr?.end();
      resolve(err.code === 'ENOENT' ? 127 : 126);
    });
    child.once('close', (code, signal) => {
      if (retry !== undefined) clearTimeout(retry);
      options.signal?.removeEventListener('abort', kill);
      stderr?.end();
      resolve(code ?? (signal === null ? 255 : 128 + signalNumber(signal)));
    });
  });
  return {
    stdin: child.stdin ?? null,
    stdout,
    stderr,
    resize: (cols, rows) => {
      if (!options.tty || !Number.isInteger(cols) || !Number.isInteger(rows) || cols < 0 || rows < 0) return;
      wanted = { cols: Math.min(cols, 65535), rows: Math.min(rows, 65535) };
      applySize();
    },
    exited,
  };
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGPIPE: 13,
  SIGTERM: 15,
};

function signalNumber(signal: NodeJS.Signals): number {
  return SIGNALS[signal] ?? 127;
}
