import { spawn } from 'node:child_process';

/**
 * Runs a system tool (GNU tar, mknod, setfattr) and resolves with its stdout; a non-zero exit
 * rejects with its stderr, so the caller's error says what the tool said.
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: { cwd?: string; input?: Buffer } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else {
        const why = Buffer.concat(err).toString().trim() || `exit ${code ?? signal}`;
        reject(new Error(`${command} ${args.slice(0, 3).join(' ')}…: ${why}`));
      }
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
