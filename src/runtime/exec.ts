import { spawn } from 'node:child_process';
import type { ExecResult } from './runtime.js';

const MAX_OUTPUT = 64 * 1024;

/**
 * Runs a command to completion with the container's env and working directory, in its own process
 * group so a timeout kills everything it started. Output is capped at 64 KiB per stream. A command
 * that cannot start reads as exit code 127 (126 for any other spawn error), as a shell reports it.
 */
export function execInContainer(
  command: string[],
  options: { env: Record<string, string>; cwd?: string | undefined; timeoutSeconds: number },
): Promise<ExecResult> {
  const [file, ...args] = command;
  if (file === undefined)
    return Promise.resolve({ exitCode: 126, stdout: '', stderr: 'empty command', timedOut: false });
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, options.timeoutSeconds * 1000);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const exitCode = err.code === 'ENOENT' ? 127 : 126;
      resolve({ exitCode, stdout, stderr: `${stderr}${err.message}`, timedOut: false });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const exitCode = code ?? (signal === null ? 255 : 128 + (signalNumber(signal) ?? 127));
      resolve({ exitCode, stdout, stderr, timedOut });
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  const table: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGKILL: 9,
    SIGTERM: 15,
    SIGSEGV: 11,
    SIGABRT: 6,
  };
  return table[signal];
}
