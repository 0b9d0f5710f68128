/**
 * HAProxy's Runtime API (the admin stats socket): commands joined with `;` on one connection,
 * answered as text. Every call is bounded in time.
 */
import { connect } from 'node:net';

/** Sends `commands` in one connection and resolves with the whole answer. */
export function runtimeCommand(
  socketPath: string,
  commands: readonly string[],
  timeoutMs = 10_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    const timer = setTimeout(
      () => socket.destroy(new Error(`the HAProxy admin socket did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.end(commands.join(';') + '\n');
  });
}

/** Runs commands in batches (a line may be at most a few KiB), checking each answer for errors. */
export async function runtimeBatch(socketPath: string, commands: readonly string[]): Promise<void> {
  for (let i = 0; i < commands.length; i += 32) {
    const batch = commands.slice(i, i + 32);
    const answer = await runtimeCommand(socketPath, batch);
    const bad = answer
      .split('\n')
      .filter((line) => /^(No such|Unknown|Require|Invalid|.*not found|.*failed)/i.test(line.trim()));
    if (bad.length > 0) throw new Error(`HAProxy refused ${batch.join('; ')}: ${bad.join(' / ')}`);
  }
}
