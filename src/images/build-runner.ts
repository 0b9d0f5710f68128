import type { Writable } from 'node:stream';

/** What a Dockerfile `RUN` step asks of a container runtime. */
export interface BuildRunOptions {
  /** The image's layers so far, unpacked, lowest first (overlayfs lower directories). */
  layerDirs: string[];
  /** An empty folder to use as the overlayfs upper directory: its content becomes the step's layer. */
  upperDir: string;
  /** The command, already in exec form (`/bin/sh -c …` for the shell form). */
  command: string[];
  /** `KEY=VALUE` entries: the image's environment at this step. */
  env: string[];
  workingDir: string;
  /** The image's USER at this step, if any. */
  user?: string;
  /** Where the command's stdout and stderr go. */
  output: Writable;
}

/**
 * Runs `RUN` steps for the builder. The images part cannot import the runtime (the layering puts
 * it beside, not above), so the composition root passes one in: the `runc` runtime provides it.
 * The upper directory is left in overlayfs form (0:0 character devices for deletions,
 * `trusted.overlay.opaque` on replaced folders); the builder turns it into an OCI layer.
 */
export interface BuildRunner {
  /** Runs the command to completion and resolves with its exit code. */
  run(options: BuildRunOptions): Promise<number>;
}
