import { execFile } from 'node:child_process';

/** The result of one `runc` invocation. */
export interface RuncResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the runtime binary (`runc`, or a compatible one) with a state root, and resolves with its
 * exit code and output; it never rejects, since a failing `kill` or `delete` of a container that
 * is gone already is normal in the runtime's clean-up paths.
 */
export function runc(binary: string, root: string, args: string[]): Promise<RuncResult> {
  return new Promise((resolve) => {
    execFile(binary, ['--root', root, ...args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr: stderr || (err !== null && code !== 0 ? err.message : '') });
    });
  });
}

/** The last error runc logged (JSON lines from `--log-format json`), for a start failure's message. */
export function lastRuncError(log: string): string | undefined {
  let last: string | undefined;
  for (const line of log.split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if ((entry.level === 'error' || entry.level === 'fatal') && entry.msg !== undefined) last = entry.msg;
    } catch {
      // not a JSON line
    }
  }
  return last;
}
