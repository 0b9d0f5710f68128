import { closeSync, constants, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { makeFifos } from './fifo-pump.js';
import type { ContainerSpec } from './runtime.js';

/** What the wrapper needs to give a container its stdin (see `WRAPPER_SCRIPT`). */
export interface WrapperStdin {
  fifo: string;
  once: boolean;
}

interface Pipe {
  fifo: string;
  once: boolean;
  /** A `stdinOnce` container's write end held here until its first attach ends. */
  holder?: number;
  attached: boolean;
}

/**
 * The stdin of containers whose spec asks `stdin: true` (`kubectl attach -i`, `kubectl run -i`):
 * a named pipe the container reads and every attach writes into. For `stdin` alone the wrapper
 * opens it read-write, so the container never sees end-of-file (as with a stdin kept open by
 * the runtime), whatever attaches come and go and across runtime restarts. For `stdinOnce` the
 * container opens it read-only while this side holds a write end; the first attach to end
 * closes that, so the container sees end-of-file once the attach's own writer is closed too, as
 * Kubernetes closes a `stdinOnce` stdin after the first attach. A runtime restart drops the held
 * end, which ends such a stdin early.
 */
export class StdinPipes {
  private readonly pipes = new Map<string, Pipe>();

  /** Makes the container's pipe before it starts; undefined when its spec asks no stdin. */
  async prepare(id: string, fifo: string, spec: ContainerSpec): Promise<WrapperStdin | undefined> {
    if (spec.stdin === undefined) return undefined;
    await makeFifos([fifo]);
    const pipe: Pipe = { fifo, once: spec.stdin.once, attached: false };
    // Read-write: opening a pipe so never waits for a reader, and the container's read-only
    // open then finds a writer and does not wait either.
    if (pipe.once) pipe.holder = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    this.pipes.set(id, pipe);
    return { fifo, once: pipe.once };
  }

  /** Knows the pipe of a container a previous runtime started. */
  adopt(id: string, fifo: string, spec: ContainerSpec): void {
    if (spec.stdin !== undefined) this.pipes.set(id, { fifo, once: spec.stdin.once, attached: false });
  }

  /**
   * A writer into the container's stdin, or null: no stdin asked, the container gone (no reader
   * left), or a `stdinOnce` stdin already attached to.
   */
  open(id: string): Writable | null {
    const pipe = this.pipes.get(id);
    if (pipe === undefined || (pipe.once && pipe.attached)) return null;
    let fd: number;
    try {
      fd = openSync(pipe.fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      return null; // ENXIO: nobody reads it any more
    }
    const writer = new Socket({ fd, readable: false, writable: true });
    writer.on('error', () => writer.destroy());
    if (pipe.once) {
      pipe.attached = true;
      writer.once('close', () => this.release(pipe));
    }
    return writer;
  }

  /** The container is gone: drops what is held and the pipe itself. */
  drop(id: string): void {
    const pipe = this.pipes.get(id);
    if (pipe === undefined) return;
    this.release(pipe);
    this.pipes.delete(id);
    rmSync(pipe.fifo, { force: true });
  }

  private release(pipe: Pipe): void {
    if (pipe.holder !== undefined) closeSync(pipe.holder);
    delete pipe.holder;
  }
}
