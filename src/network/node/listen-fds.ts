/**
 * Listening sockets shared by the threads of the node data plane. The main thread binds (so a
 * busy port fails there, with a clear error) and gets one descriptor per thread from a short
 * child process (fd-broker.ts); each thread then listens on its own descriptor and the kernel
 * spreads new connections over the threads' accept calls. The raw handles received here are
 * never closed by this thread: the thread given the descriptor owns it.
 */
import { fork } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { listenFailed } from '../errors.js';

/** A handle as received over IPC: only its descriptor is used. */
interface RawHandle {
  fd: number;
}

/** Received handles are kept so that they are never collected (and never closed) here. */
const received: RawHandle[] = [];

/**
 * Binds address:port and resolves with the bound port and `copies` descriptors of the socket.
 * Connections that arrive while the socket is being shared are accepted here, kept paused, and
 * returned in `early` for the main thread's listener to take.
 */
export async function bindShared(
  listener: string,
  address: string,
  port: number,
  copies: number,
): Promise<{ port: number; fds: number[]; early: Socket[] }> {
  const early: Socket[] = [];
  const server = createServer({ pauseOnConnect: true }, (socket) => early.push(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(listenFailed(listener, address, port, err.code ?? err.message)),
    );
    server.listen({ host: address, port, backlog: 4096, exclusive: true }, resolve);
  });
  try {
    const bound = (server.address() as { port: number }).port;
    return { port: bound, fds: await duplicate(server, copies), early };
  } finally {
    server.close();
  }
}

async function duplicate(server: Server, copies: number): Promise<number[]> {
  const child = fork(new URL('./fd-broker.js', import.meta.url), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: ['--max-old-space-size=16'],
  });
  const handle = (server as unknown as { _handle: RawHandle })._handle;
  try {
    return await new Promise<number[]>((resolve, reject) => {
      const fds: number[] = [];
      const timer = setTimeout(
        () => reject(new Error('the descriptor broker did not answer within 10 s')),
        10_000,
      );
      child.on('message', (_m, raw) => {
        received.push(raw as unknown as RawHandle);
        fds.push((raw as unknown as RawHandle).fd);
        if (fds.length === copies) {
          clearTimeout(timer);
          resolve(fds);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (fds.length < copies) reject(new Error(`the descriptor broker exited with ${code}`));
      });
      child.send({ copies }, handle as never);
    });
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/** Closes descriptors that no thread took (an apply that failed after binding them). */
export function releaseFds(fds: readonly number[]): void {
  for (const fd of fds) {
    const i = received.findLastIndex((h) => h.fd === fd);
    if (i === -1) continue;
    const [raw] = received.splice(i, 1);
    (raw as unknown as { close(): void }).close();
  }
}
