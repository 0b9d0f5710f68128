import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import type { LogWriter } from './container-log.js';

/**
 * Creates the named pipes a container writes its stdout and stderr to. Node has no mkfifo, so
 * this runs mkfifo(1), asynchronously: a synchronous fork of a large agent process blocks it for
 * tens of milliseconds.
 */
export async function makeFifos(paths: string[]): Promise<void> {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) await promisify(execFile)('mkfifo', ['-m', '600', ...missing]);
}

/**
 * Copies a container's stdout and stderr from its named pipes into its LogWriter. The pipes
 * decouple the container from the runtime: the wrapper holds each pipe open read-write, so when
 * the runtime goes away the container neither gets SIGPIPE nor loses output (it blocks once the
 * pipe's buffer is full) and a new runtime re-attaches and drains it. The pump holds a write end of
 * its own until `finish()`, so the readers see end-of-file only once the container is gone and
 * everything it wrote has been read.
 */
export class FifoPump {
  private readonly sockets: Socket[] = [];
  private readonly holders: number[] = [];
  private open = 2;
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(stdoutFifo: string, stderrFifo: string, writer: LogWriter) {
    this.done = new Promise((r) => (this.resolveDone = r));
    for (const [path, stream] of [
      [stdoutFifo, 'stdout'],
      [stderrFifo, 'stderr'],
    ] as const) {
      // Non-blocking opens: the read end never waits for a writer, and our write end then exists.
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      this.holders.push(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
      const socket = new Socket({ fd, readable: true, writable: false });
      socket.on('data', (d: Buffer) => writer.write(stream, d));
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        if (--this.open === 0) this.resolveDone();
      });
      this.sockets.push(socket);
    }
  }

  /** The container is gone: drop our write ends so the readers drain to end-of-file. */
  finish(): void {
    for (const fd of this.holders.splice(0)) closeSync(fd);
  }

  /** Stops reading now (runtime shutdown); unread output stays in the pipes for the next runtime. */
  detach(): void {
    this.finish();
    for (const s of this.sockets) s.destroy();
  }
}
