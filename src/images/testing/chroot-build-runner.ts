import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BuildRunner, BuildRunOptions } from '../build-runner.js';

/**
 * A BuildRunner for tests of the builder, before the runc runtime provides the real one: runs a
 * RUN step in a private mount namespace (`unshare --mount`) on a real overlayfs of the layers,
 * chrooted into it (root only; the image needs `/bin/sh` and `env`). The mount vanishes with
 * the namespace when the step ends.
 */
export class ChrootBuildRunner implements BuildRunner {
  async run(options: BuildRunOptions): Promise<number> {
    const scratch = await mkdtemp(join(tmpdir(), 'stratus-build-run-'));
    try {
      const merged = join(scratch, 'merged');
      // overlayfs wants its work folder on the upper folder's file system.
      const workDir = join(dirname(options.upperDir), 'overlay-work');
      const empty = join(scratch, 'empty');
      await Promise.all([merged, workDir, empty].map((d) => mkdir(d, { recursive: true })));
      const lower = options.layerDirs.length === 0 ? [empty] : [...options.layerDirs].reverse();
      const script =
        'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" && d=$4 && w=$5 && shift 5 && ' +
        'exec chroot "$d" /bin/sh -c \'mkdir -p "$0" && cd "$0" && exec env -i "$@"\' "$w" "$@"';
      const args = [
        '--mount',
        '--fork',
        'sh',
        '-c',
        script,
        'sh',
        lower.join(':'),
        options.upperDir,
        workDir,
        merged,
        options.workingDir,
        ...options.env,
        ...options.command,
      ];
      return await new Promise<number>((resolve, reject) => {
        const child = spawn('unshare', args, { stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.pipe(options.output, { end: false });
        child.stderr.pipe(options.output, { end: false });
        child.on('error', reject);
        child.on('close', (code) => resolve(code ?? 1));
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
}
