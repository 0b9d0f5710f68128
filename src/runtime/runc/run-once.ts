import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { startFailed } from '../errors.js';
import type { ContainerSpec } from '../runtime.js';
import { resolveUser } from './image-user.js';
import { buildOciConfig } from './oci-config.js';
import { isMounted } from '../mounts.js';
import { mountOverlay, readIdFiles } from './rootfs.js';
import { runc } from './runc-command.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Options of `runOnce`. */
export interface RunOnceOptions {
  /** The image's layers so far, lowest first (read-only overlay lower dirs). */
  layerDirs: string[];
  /** Receives the command's writes (the new layer's contents, whiteouts included). */
  upperDir: string;
  command: string[];
  /** `KEY=VALUE`, as an image config's `Env`. */
  env: string[];
  workingDir: string;
  /** `user`, `uid`, `user:group` or `uid:gid`, resolved in the layers' passwd and group files; default root. */
  user?: string;
  /** stdout and stderr of the command, interleaved as written. */
  output: Writable;
  /** The OCI runtime binary; default `runc`. */
  runtimeBinary?: string;
  /** The static init; default `/usr/bin/tini-static`. */
  initBinary?: string;
}

/**
 * Runs one command to completion in a throw-away runc container whose root is an overlay of
 * `layerDirs` with `upperDir` on top, on the host network with Docker's default capabilities, and
 * resolves with its exit code: what `stratus image build` runs a Dockerfile `RUN` step with (the
 * upper dir is then the step's layer). Everything it made (bundle, mount, cgroup, runc state) is
 * gone when it resolves.
 */
export async function runOnce(options: RunOnceOptions): Promise<number> {
  const id = `once-${randomBytes(6).toString('hex')}`;
  const bundle = mkdtempSync(join(tmpdir(), 'stratus-run-once-'));
  // overlayfs wants its work dir on the upper dir's file system.
  const work = mkdtempSync(join(dirname(options.upperDir), '.stratus-work-'));
  const rootfs = join(bundle, 'rootfs');
  const state = join(bundle, 'state');
  const binary = options.runtimeBinary ?? 'runc';
  mkdirSync(options.upperDir, { recursive: true });
  try {
    await mountOverlay(options.layerDirs, { rootfs, upper: options.upperDir, work });
    const spec: ContainerSpec = {
      podUid: id,
      podNamespace: 'build',
      podName: id,
      containerName: 'run',
      attempt: 0,
      command: options.command,
      env: {},
      workingDir: options.workingDir,
      unpackedImage: {
        reference: 'build',
        digest: '',
        config: { Env: options.env, ...(options.user !== undefined ? { User: options.user } : {}) },
        layerDirs: options.layerDirs,
      },
    };
    const config = buildOciConfig(spec, {
      cgroupsPath: `/stratus-runc/${id}`,
      imageUser: resolveUser(options.user, readIdFiles(rootfs)),
      initBinary: options.initBinary ?? '/usr/bin/tini-static',
      hostFiles: { hosts: '/etc/hosts', resolvConf: '/etc/resolv.conf' },
      nofile: 1024,
    });
    // A build step may need to create its working directory, as `docker build` does.
    mkdirSync(join(rootfs, options.workingDir), { recursive: true });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    const child = spawn(binary, ['--root', state, 'run', '--bundle', bundle, id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(options.output, { end: false });
    child.stderr.pipe(options.output, { end: false });
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (err) =>
        reject(startFailed(`Cannot run ${options.command.join(' ')}: ${err.message}`)),
      );
      child.once('close', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
    });
  } finally {
    await runc(binary, state, ['delete', '-f', id]);
    if (isMounted(rootfs)) await promisify(execFile)('umount', ['-l', rootfs]).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    if (!isMounted(rootfs)) rmSync(bundle, { recursive: true, force: true });
  }
}
